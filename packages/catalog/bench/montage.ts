/**
 * Side-by-side montage of real Galaxy Zoo 1 cutouts (top row) and synthetic galaxies of
 * matching kinds (bottom row), to judge the renderer by eye.
 *
 *   npm run docs:montage -- [out.png] [variant]
 *
 * `variant` (default 0) draws another set of real and synthetic galaxies.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { parse } from "csv-parse/sync";
import type { HiwlClass } from "@hiwl/model";
import { createRng, expectedClass, generateGalaxy, type SyntheticGalaxy } from "../src/synthetic/index.ts";

// The Galaxy Zoo 1 sample beside the repository.
const GZ1 = fileURLToPath(new URL("../../../../shared/data/gz1", import.meta.url));
const TILE = 160;
const GAP = 4;
const out = process.argv[2] ?? fileURLToPath(new URL("../../../docs/images/synthetic-vs-real.png", import.meta.url));
const variant = Number(process.argv[3] ?? 0);

/** Real labels and the synthetic classes shown under them, column by column. */
const COLUMNS: readonly [gz1Label: string, synthetic: HiwlClass][] = [
  ["elliptical", "round"],
  ["elliptical", "in-between"],
  ["elliptical", "cigar"],
  ["spiral_clockwise", "spiral"],
  ["spiral_anticlockwise", "spiral"],
  ["spiral_clockwise", "spiral"],
  ["edge_on", "edge-on"],
  ["edge_on", "edge-on"],
];

const rows = parse<{ objid: string; label: string }>(readFileSync(`${GZ1}/labels.csv`), { columns: true });
const rng = createRng(`montage:${variant}`);
const used = new Set<string>();
function pickReal(label: string): string {
  const candidates = rows.filter((r) => r.label === label && !used.has(r.objid));
  const objid = candidates[Math.floor(rng() * candidates.length)]!.objid;
  used.add(objid);
  return `${GZ1}/images/${objid}.jpg`;
}

let nextSeed = 0;
/** The next synthetic galaxy of the class without an odd feature, as the real examples are typical ones. */
function pickSynthetic(cls: HiwlClass): SyntheticGalaxy {
  for (;;) {
    const galaxy = generateGalaxy(`montage:${variant}:${nextSeed++}`);
    if (galaxy.truth.oddFeature === "none" && expectedClass(galaxy.truth) === cls) return galaxy;
  }
}

const tiles = await Promise.all(
  COLUMNS.flatMap(([label, cls], i) => {
    const left = i * (TILE + GAP);
    const synthetic = pickSynthetic(cls);
    return [
      sharp(pickReal(label))
        .resize(TILE, TILE)
        .toBuffer()
        .then((input) => ({ input, left, top: 0 })),
      sharp(synthetic.rgb, { raw: { width: 424, height: 424, channels: 3 } })
        .resize(TILE, TILE)
        .png()
        .toBuffer()
        .then((input) => ({ input, left, top: TILE + GAP })),
    ];
  }),
);

await sharp({
  create: { width: COLUMNS.length * (TILE + GAP) - GAP, height: 2 * TILE + GAP, channels: 3, background: "#808080" },
})
  .composite(tiles)
  .png({ compressionLevel: 9 })
  .toFile(out);
console.log(`wrote ${out}`);
