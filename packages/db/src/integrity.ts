/**
 * The stored aggregates checked against the classifications they come from, and rebuilt from
 * them: each galaxy's vote tallies, classification count and consensus with its share (`hiwl
 * db check [--repair]`), and the removal of a volunteer with everything they voted.
 */
import { countAnswers } from "@hiwl/model";
import { consensusOf, type StoredConsensus } from "./aggregates.ts";
import { chunks } from "./batch.ts";
import { countedClassification } from "./classifications.ts";
import type { Db } from "./client.ts";
import { answersOf } from "./contracts.ts";
import { NotFoundError } from "./errors.ts";
import { type Prisma } from "./generated/prisma/client.ts";
import { readTallies, talliesOf, type GalaxyTallies } from "./tallies.ts";

export interface TallyMismatch {
  galaxyId: number;
  /** An answer id, "classificationCount", "consensus" or "consensusShare". */
  field: string;
  stored: number | string | null;
  recomputed: number | string | null;
}

const NO_CONSENSUS = { consensus: null, consensusShare: null } as const;

/** What the galaxy row stores for these tallies: its consensus and share, or none without votes. */
const storedAggregates = (t: GalaxyTallies): StoredConsensus | typeof NO_CONSENSUS =>
  t.classificationCount > 0 ? consensusOf(t.voteFractions) : NO_CONSENSUS;

/** Each galaxy's tallies as its counted classifications give them (galaxies without any: absent). */
async function recompute(db: Prisma.TransactionClient | Db, galaxyIds?: readonly number[]): Promise<Map<number, GalaxyTallies>> {
  const where = galaxyIds === undefined ? {} : { galaxyId: { in: [...galaxyIds] } };
  const classifications = await db.classification.findMany({
    where: { ...where, ...countedClassification },
    select: { id: true, galaxyId: true, answers: true },
  });
  const walks = new Map<number, string[][]>();
  for (const c of classifications) {
    const list = walks.get(c.galaxyId);
    const answers = answersOf(c);
    if (list) list.push(answers);
    else walks.set(c.galaxyId, [answers]);
  }
  const out = new Map<number, GalaxyTallies>();
  for (const [galaxyId, list] of walks) {
    const { counts, total } = countAnswers(list);
    out.set(galaxyId, talliesOf(galaxyId, counts, total));
  }
  return out;
}

/**
 * Every place where a galaxy's stored tallies, classification count, consensus or its share
 * differ from what its counted classifications give: empty when the incremental bookkeeping
 * is right.
 */
export async function checkTallies(db: Db): Promise<TallyMismatch[]> {
  const galaxies = await db.galaxy.findMany({ select: { id: true, consensus: true, consensusShare: true }, orderBy: { id: "asc" } });
  const [stored, truth] = await Promise.all([readTallies(db, galaxies.map((g) => g.id)), recompute(db)]);
  const mismatches: TallyMismatch[] = [];
  for (const g of galaxies) {
    // Deleted since the first read: nothing to compare.
    const s = stored.get(g.id);
    if (!s) continue;
    const r = truth.get(g.id) ?? talliesOf(g.id, {}, 0);
    const mismatch = (field: string, a: number | string | null, b: number | string | null) => {
      if (a !== b) mismatches.push({ galaxyId: g.id, field, stored: a, recomputed: b });
    };
    mismatch("classificationCount", s.classificationCount, r.classificationCount);
    for (const answerId of [...new Set([...Object.keys(s.counts), ...Object.keys(r.counts)])].sort()) {
      mismatch(answerId, s.counts[answerId] ?? 0, r.counts[answerId] ?? 0);
    }
    const expected = storedAggregates(r);
    mismatch("consensus", g.consensus, expected.consensus);
    // Prisma 6.19 moves about one float in five that it writes by its last bit (prisma/prisma#11096):
    // a share computed right may differ from the stored one there, never by 1e-12.
    const near = g.consensusShare !== null && expected.consensusShare !== null && Math.abs(g.consensusShare - expected.consensusShare) <= 1e-12;
    if (!near) mismatch("consensusShare", g.consensusShare, expected.consensusShare);
  }
  return mismatches;
}

/**
 * Rewrites the tallies, count, consensus and share of `galaxyIds` from their counted
 * classifications, inside the caller's transaction.
 */
async function rebuild(tx: Prisma.TransactionClient, galaxyIds: readonly number[]): Promise<void> {
  for (const ids of chunks(galaxyIds)) {
    const truth = await recompute(tx, ids);
    await tx.voteTally.deleteMany({ where: { galaxyId: { in: ids } } });
    const rows = ids.flatMap((galaxyId) =>
      Object.entries(truth.get(galaxyId)?.counts ?? {}).map(([answerId, count]) => ({ galaxyId, answerId, count })),
    );
    if (rows.length > 0) await tx.voteTally.createMany({ data: rows });
    for (const galaxyId of ids) {
      const r = truth.get(galaxyId) ?? talliesOf(galaxyId, {}, 0);
      await tx.galaxy.update({ where: { id: galaxyId }, data: { classificationCount: r.classificationCount, ...storedAggregates(r) } });
    }
  }
}

/** Rebuilds every galaxy that checkTallies finds wrong, in one transaction; returns how many. */
export async function repairTallies(db: Db): Promise<number> {
  const galaxyIds = [...new Set((await checkTallies(db)).map((m) => m.galaxyId))];
  if (galaxyIds.length > 0) await db.$transaction((tx) => rebuild(tx, galaxyIds), { timeout: 600_000 });
  return galaxyIds.length;
}

/**
 * Fills in the stored consensus and its share for galaxies whose votes predate them (the
 * migrations that added the columns cannot compute them in SQL); a no-op once done.
 */
export async function backfillConsensus(db: Db): Promise<number> {
  const galaxies = await db.galaxy.findMany({
    where: { classificationCount: { gt: 0 }, OR: [{ consensus: null }, { consensusShare: null, consensus: { not: "none" } }] },
    select: { id: true },
  });
  const tallies = await readTallies(db, galaxies.map((g) => g.id));
  await db.$transaction([...tallies.values()].map((t) => db.galaxy.update({ where: { id: t.galaxyId }, data: storedAggregates(t) })));
  return tallies.size;
}

/**
 * Removes a volunteer (spam clean-up): their classifications, hand-outs and sessions go, and
 * the tallies, counts and consensus of every galaxy they voted on are rebuilt in the same
 * transaction. Retirements stand. Returns how many classifications were removed.
 */
export async function deleteVolunteer(db: Db, volunteerId: string): Promise<{ classifications: number; galaxies: number }> {
  return db.$transaction(
    async (tx) => {
      const volunteer = await tx.volunteer.findUnique({ where: { id: volunteerId }, select: { id: true } });
      if (!volunteer) throw new NotFoundError(`volunteer ${volunteerId} does not exist`);
      const voted = await tx.classification.findMany({ where: { volunteerId }, select: { galaxyId: true } });
      await tx.volunteer.delete({ where: { id: volunteerId } });
      const galaxyIds = [...new Set(voted.map((c) => c.galaxyId))];
      await rebuild(tx, galaxyIds);
      return { classifications: voted.length, galaxies: galaxyIds.length };
    },
    { timeout: 600_000 },
  );
}
