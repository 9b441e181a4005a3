import { insertGalaxies, type ActivationDecision, type Db, type GalaxyInput, type RunMetrics } from "../src/index.ts";

export { useTestDb, type TestDb } from "../src/testing.ts";

/** Walks through the tree used across the tests. */
export const WALKS = {
  round: ["1.1", "7.1", "6.2"],
  cigar: ["1.1", "7.3", "6.1", "8.7"],
  edgeOn: ["1.2", "2.1", "9.1", "6.2"],
  spiral: ["1.2", "2.2", "3.2", "4.1", "10.2", "11.2", "5.2", "6.1", "8.1"],
  star: ["1.3"],
} as const satisfies Record<string, readonly string[]>;

export function galaxyRows(n: number, options: { source?: string; from?: number } = {}): GalaxyInput[] {
  const source = options.source ?? "synthetic";
  const from = options.from ?? 0;
  return Array.from({ length: n }, (_, i) => ({
    externalId: String(from + i),
    source,
    imagePath: `images/${source}/${from + i}.jpg`,
  }));
}

/** Inserts galaxies and returns their ids in insertion order. */
export async function addGalaxies(db: Db, rows: GalaxyInput[]): Promise<number[]> {
  await insertGalaxies(db, rows);
  const stored = await db.galaxy.findMany({
    where: { source: { in: [...new Set(rows.map((r) => r.source))] } },
    select: { id: true, source: true, externalId: true },
  });
  const idOf = new Map(stored.map((g) => [`${g.source}/${g.externalId}`, g.id]));
  return rows.map((r) => idOf.get(`${r.source}/${r.externalId}`)!);
}

/** A two-class model's test scores, as the trainer records them (RunMetrics' first part). */
export const SCORES = {
  classes: ["round", "spiral"],
  accuracy: 0.75,
  perClass: {
    round: { precision: 1, recall: 0.5, f1: 2 / 3, support: 2 },
    spiral: { precision: 2 / 3, recall: 1, f1: 0.8, support: 2 },
  },
  confusion: [
    [1, 1],
    [0, 2],
  ],
  count: 4,
} satisfies Partial<RunMetrics>;

/** One epoch of a network without validation galaxies. */
export const EPOCH = { epoch: 1, learningRate: 0.001, trainLoss: 1.2, trainAccuracy: 0.4, valLoss: null, valAccuracy: null };

/** The activation policy's decision for a version it kept inactive. */
export const KEPT_INACTIVE: ActivationDecision = {
  activate: false,
  reason: "less accurate",
  newAccuracy: 0.5,
  activeVersion: "v0",
  activeAccuracy: 0.6,
  galaxies: 10,
  decidedAt: "2026-12-01T00:00:00.000Z",
};
