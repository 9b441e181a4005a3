/**
 * The stored aggregates checked against the classifications they come from, and rebuilt from
 * them: each galaxy's vote tallies, classification count and consensus (`hiwl db check
 * [--repair]`), and the removal of a volunteer with everything they voted.
 */
import { countAnswers } from "@hiwl/model";
import { consensusOf, fractionsOfTallies } from "./aggregates.ts";
import { chunks } from "./batch.ts";
import { countedClassification } from "./classifications.ts";
import type { Db } from "./client.ts";
import { NotFoundError } from "./errors.ts";
import { Prisma } from "./generated/prisma/client.ts";

export interface TallyMismatch {
  galaxyId: number;
  /** An answer id, "classificationCount" or "consensus". */
  field: string;
  stored: number | string | null;
  recomputed: number | string | null;
}

interface Recomputed {
  counts: Record<string, number>;
  total: number;
  consensus: string | null;
}

/** Each galaxy's tallies, count and consensus as its counted classifications give them. */
async function recompute(db: Prisma.TransactionClient | Db, galaxyIds?: readonly number[]): Promise<Map<number, Recomputed>> {
  const where = galaxyIds === undefined ? {} : { galaxyId: { in: [...galaxyIds] } };
  const classifications = await db.classification.findMany({ where: { ...where, ...countedClassification }, select: { galaxyId: true, answers: true } });
  const walks = new Map<number, string[][]>();
  for (const c of classifications) {
    const list = walks.get(c.galaxyId);
    const answers = JSON.parse(c.answers) as string[];
    if (list) list.push(answers);
    else walks.set(c.galaxyId, [answers]);
  }
  const out = new Map<number, Recomputed>();
  for (const [galaxyId, list] of walks) {
    const { counts, total } = countAnswers(list);
    const tallies = Object.entries(counts).map(([answerId, count]) => ({ answerId, count }));
    out.set(galaxyId, { counts, total, consensus: consensusOf({ voteFractions: fractionsOfTallies(tallies, total) }) });
  }
  return out;
}

/**
 * Every place where a galaxy's stored tallies, classification count or consensus differ from
 * what its counted classifications give: empty when the incremental bookkeeping is right.
 */
export async function checkTallies(db: Db): Promise<TallyMismatch[]> {
  const [galaxies, tallies, truth] = await Promise.all([
    db.galaxy.findMany({ select: { id: true, classificationCount: true, consensus: true }, orderBy: { id: "asc" } }),
    db.voteTally.findMany(),
    recompute(db),
  ]);
  const stored = new Map<number, Record<string, number>>();
  for (const t of tallies) stored.set(t.galaxyId, { ...stored.get(t.galaxyId), [t.answerId]: t.count });
  const mismatches: TallyMismatch[] = [];
  for (const g of galaxies) {
    const r = truth.get(g.id) ?? { counts: {}, total: 0, consensus: null };
    if (g.classificationCount !== r.total) {
      mismatches.push({ galaxyId: g.id, field: "classificationCount", stored: g.classificationCount, recomputed: r.total });
    }
    const s = stored.get(g.id) ?? {};
    for (const answerId of [...new Set([...Object.keys(s), ...Object.keys(r.counts)])].sort()) {
      const [a, b] = [s[answerId] ?? 0, r.counts[answerId] ?? 0];
      if (a !== b) mismatches.push({ galaxyId: g.id, field: answerId, stored: a, recomputed: b });
    }
    if (g.consensus !== r.consensus) mismatches.push({ galaxyId: g.id, field: "consensus", stored: g.consensus, recomputed: r.consensus });
  }
  return mismatches;
}

/**
 * Rewrites the tallies, count and consensus of `galaxyIds` from their counted
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
      const r = truth.get(galaxyId);
      await tx.galaxy.update({ where: { id: galaxyId }, data: { classificationCount: r?.total ?? 0, consensus: r?.consensus ?? null } });
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
 * Fills in the stored consensus of galaxies whose votes predate it (the migration that added
 * the column cannot compute it in SQL); a no-op once done.
 */
export async function backfillConsensus(db: Db): Promise<number> {
  const galaxies = await db.galaxy.findMany({
    where: { classificationCount: { gt: 0 }, consensus: null },
    select: { id: true, classificationCount: true, tallies: { select: { answerId: true, count: true } } },
  });
  await db.$transaction(
    galaxies.map((g) =>
      db.galaxy.update({
        where: { id: g.id },
        data: { consensus: consensusOf({ voteFractions: fractionsOfTallies(g.tallies, g.classificationCount) }) },
      }),
    ),
  );
  return galaxies.length;
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
