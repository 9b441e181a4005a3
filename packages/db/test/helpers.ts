import { insertGalaxies, type Db, type GalaxyInput } from "../src/index.ts";

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
