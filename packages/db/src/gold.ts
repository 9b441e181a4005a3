/**
 * The gold standard: galaxies with an expert's answers. Volunteers get them mixed into their
 * queue (often among their first galaxies, rarely later: $HIWL_GOLD), are told after they
 * answer where they agreed with the expert, and their agreement feeds their skill estimate
 * (skills.ts). Votes on a gold galaxy are flagged "gold": counted in its tallies, never toward
 * its retirement, and the queue never serves a gold galaxy by priority.
 */
import { questionOf, validateWalk, type QuestionId } from "@hiwl/model";
import { z } from "zod";
import type { Db } from "./client.ts";
import { answersOf, readStoredJson, toStoredJson, walkAnswers } from "./contracts.ts";
import { InvalidInputError, NotFoundError } from "./errors.ts";
import type { GoldStandard } from "./generated/prisma/client.ts";
import { parseJsonEnv } from "./json-text.ts";

const GoldMixingSchema = z
  .object({
    /** A volunteer's first this-many galaxies are "early". */
    earlyGalaxies: z.number().int().min(0),
    /** Chance that an early galaxy is a gold one (when one is left for the volunteer). */
    earlyRate: z.number().min(0).max(1),
    /** Chance afterwards. */
    lateRate: z.number().min(0).max(1),
  })
  .strict();

export type GoldMixing = z.infer<typeof GoldMixingSchema>;

/**
 * Zooniverse's gold-standard mixing (docs/science.md, anchors): 40% of a volunteer's first 20
 * galaxies, while they are learning and feedback helps most; afterwards one in fifty, enough
 * to keep their skill estimate current without spending their time on known galaxies.
 */
export const DEFAULT_GOLD_MIXING: GoldMixing = { earlyGalaxies: 20, earlyRate: 0.4, lateRate: 0.02 };

/** The project's gold mixing: the defaults with $HIWL_GOLD (a JSON object of the fields to change) on top. */
export function goldMixing(value: string | undefined = process.env.HIWL_GOLD): GoldMixing {
  return { ...DEFAULT_GOLD_MIXING, ...parseJsonEnv("HIWL_GOLD", value, GoldMixingSchema.partial()) };
}

/** The chance that a volunteer's next galaxy is a gold one, given how many they have classified. */
export const goldRate = (mixing: GoldMixing, classified: number): number =>
  classified < mixing.earlyGalaxies ? mixing.earlyRate : mixing.lateRate;

export const goldAnswersOf = (g: Pick<GoldStandard, "galaxyId" | "answers">): string[] =>
  readStoredJson(walkAnswers, g.answers, { table: "GoldStandard", id: g.galaxyId, field: "answers" });

/** An expert walk, checked: a complete walk of the tree. */
function checkedWalk(answers: readonly string[], where: string): string[] {
  const valid = validateWalk(answers);
  if (!valid.ok) throw new InvalidInputError(`${where}: the expert answers are not a walk of the tree: ${valid.error}`);
  return [...answers];
}

export interface GoldInput {
  galaxyId: number;
  answers: readonly string[];
}

/**
 * Marks galaxies as gold with an expert's answers (replacing earlier ones), all or none:
 * every walk is checked and every galaxy must exist before anything is written.
 */
export async function setGoldStandards(
  db: Db,
  entries: readonly GoldInput[],
  options: { origin: string; markedById?: string | null },
): Promise<number> {
  const rows = entries.map((e) => ({
    galaxyId: e.galaxyId,
    answers: toStoredJson(walkAnswers, checkedWalk(e.answers, `galaxy ${e.galaxyId}`), { table: "GoldStandard", field: "answers" }),
  }));
  const ids = [...new Set(rows.map((r) => r.galaxyId))];
  const found = new Set((await db.galaxy.findMany({ where: { id: { in: ids } }, select: { id: true } })).map((g) => g.id));
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length) throw new NotFoundError(`galaxy ${missing.slice(0, 10).join(", ")} does not exist`);
  const markedById = options.markedById ?? null;
  await db.$transaction(
    rows.map((r) =>
      db.goldStandard.upsert({
        where: { galaxyId: r.galaxyId },
        create: { ...r, origin: options.origin, markedById },
        update: { answers: r.answers, origin: options.origin, markedById, createdAt: new Date() },
      }),
    ),
  );
  return rows.length;
}

/** Takes a galaxy out of the gold standard (its votes keep their "gold" flag); false if it was not gold. */
export async function unsetGoldStandard(db: Db, galaxyId: number): Promise<boolean> {
  return (await db.goldStandard.deleteMany({ where: { galaxyId } })).count === 1;
}

export async function getGoldAnswers(db: Db, galaxyId: number): Promise<string[] | null> {
  const gold = await db.goldStandard.findUnique({ where: { galaxyId } });
  return gold && goldAnswersOf(gold);
}

export interface GoldStandardEntry {
  galaxyId: number;
  imageHash: string | null;
  externalId: string;
  answers: string[];
  origin: string;
  markedBy: string | null;
  createdAt: Date;
  /** Volunteers who classified it, and how many of them agreed with the expert on every question they both answered. */
  classifications: number;
  agreed: number;
}

/** Every gold galaxy, newest first, with how the volunteers did on it. */
export async function listGoldStandards(db: Db): Promise<GoldStandardEntry[]> {
  const rows = await db.goldStandard.findMany({
    orderBy: [{ createdAt: "desc" }, { galaxyId: "desc" }],
    include: {
      galaxy: { select: { imageHash: true, externalId: true, classifications: { select: { id: true, answers: true } } } },
      markedBy: { select: { username: true } },
    },
  });
  return rows.map((r) => {
    const answers = goldAnswersOf(r);
    const walks = r.galaxy.classifications.map(answersOf);
    return {
      galaxyId: r.galaxyId,
      imageHash: r.galaxy.imageHash,
      externalId: r.galaxy.externalId,
      answers,
      origin: r.origin,
      markedBy: r.markedBy?.username ?? null,
      createdAt: r.createdAt,
      classifications: walks.length,
      agreed: walks.filter((w) => goldFeedback(w, answers).every((f) => f.agreed)).length,
    };
  });
}

export interface GoldFeedback {
  questionId: QuestionId;
  /** The volunteer's answer and the expert's. */
  given: string;
  expected: string;
  agreed: boolean;
}

/**
 * What to tell a volunteer after they classified a gold galaxy: each question both they and the
 * expert answered, in the volunteer's order. A question only one of them reached is left out:
 * the first disagreement upstream already says why their paths parted.
 */
export function goldFeedback(walk: readonly string[], gold: readonly string[]): GoldFeedback[] {
  const expert = new Map(gold.map((id) => [questionOf(id), id]));
  return walk.flatMap((given) => {
    const questionId = questionOf(given);
    const expected = expert.get(questionId);
    return expected === undefined ? [] : [{ questionId, given, expected, agreed: given === expected }];
  });
}
