/**
 * What a synthetic galaxy really is, how such galaxies are mixed in the sky, and how an ideal
 * volunteer would answer each question of the Galaxy Zoo 2 tree about it.
 *
 * Every answer probability is a smooth function of the truth (logistic in the axis ratio, in
 * the arm visibility, ...), so a crowd's votes drift gradually from one class to the next as
 * real morphology does, instead of jumping at a hard cut.
 */
import {
  chainedFractions,
  getQuestion,
  selectClass,
  type HiwlClass,
  type QuestionId,
} from "@hiwl/model";
import type { SyntheticTruth } from "@hiwl/db";
import { clamp, gaussian, logUniform, pickWeighted, sigmoid, uniform, type Rng } from "./random.ts";

// The truth is stored with each synthetic galaxy (Galaxy.metadata), so its shape is the stored
// contract's (packages/db/src/contracts.ts, syntheticTruth), documented there field by field.
export type GalaxyTruth = SyntheticTruth;
export type DiskTruth = NonNullable<GalaxyTruth["disk"]>;
export type MorphologyKind = GalaxyTruth["kind"];
export type BulgeShape = GalaxyTruth["bulgeShape"];
export type OddFeature = GalaxyTruth["oddFeature"];
/** Relative fluxes in the i, r, g bands, shown as red, green, blue; normalised to mean 1. */
export type Rgb = GalaxyTruth["coreColour"];

/** Size of an SDSS pixel, arcseconds. */
export const SDSS_PIXEL_ARCSEC = 0.396;
/** Typical SDSS seeing (PSF FWHM), arcseconds. */
export const SEEING_ARCSEC = 1.4;

/**
 * Share of smooth galaxies. With the distributions below, an ideal crowd puts about 15% of
 * the galaxies in round, 25% in-between, 7% cigar, 7% edge-on and 14% spiral, and a third in
 * no class: cigars are the rarest, as in Galaxy Zoo 2, but common enough to train on.
 */
const SMOOTH_SHARE = 0.42;

export function sampleTruth(rng: Rng): GalaxyTruth {
  const positionAngle = rng() * Math.PI;
  // Relative to a median galaxy; ellipticals have the higher surface brightness.
  const relativeBrightness = clamp(Math.exp(gaussian(rng, 0, 0.4)), 0.35, 3);
  if (rng() < SMOOTH_SHARE) {
    const radius = logUniform(rng, 13.5, 26);
    const axisRatio = Math.min(1, 0.14 + 0.86 * Math.pow(rng(), 0.7));
    const oddFeature = pickOdd(rng, { none: 0.94, merger: 0.04, disturbed: 0.02 });
    const core = normalise([1, uniform(rng, 0.7, 0.8), uniform(rng, 0.34, 0.46)]);
    return {
      kind: "smooth",
      axisRatio,
      positionAngle,
      radius,
      // The cutout is scaled to the galaxy, so a distant galaxy is a few coarse,
      // seeing-blurred SDSS pixels blown up; ellipticals are compact, disks larger.
      angularRadius: logUniform(rng, 2.5, 8) * SDSS_PIXEL_ARCSEC,
      // A flattened spheroid seen side-on has a longer line of sight through it.
      brightness: (22 * relativeBrightness) / Math.sqrt(axisRatio),
      // Rounder ellipticals are the massive, concentrated ones.
      sersicIndex: clamp(2 + 2.5 * axisRatio + gaussian(rng, 0, 0.5), 1.5, 6),
      bulgeFraction: 1,
      bulgeShape: rng() < 0.12 ? "boxy" : "round",
      bulgeAxisRatio: axisRatio,
      coreColour: core,
      outerColour: normalise([core[0], core[1] * 1.02, core[2] * uniform(rng, 1.05, 1.2)]),
      disk: null,
      oddFeature,
      oddStrength: oddFeature === "none" ? 0 : uniform(rng, 0.3, 1),
    };
  }

  // Hubble stage: 0 a late, bluish, loosely wound, bulgeless disk ... 1 a lenticular.
  const stage = rng();
  const oddFeature = pickOdd(rng, { none: 0.84, ring: 0.05, merger: 0.04, disturbed: 0.03, irregular: 0.04 });
  const irregular = oddFeature === "irregular";
  const inclination = Math.acos(rng());
  const thickness = uniform(rng, 0.12, 0.22) + 0.08 * stage;
  const armContrast =
    stage > 0.85 ? uniform(rng, 0, 0.15) : clamp(Math.sqrt(1 - stage) * uniform(rng, 0.45, 1.05), 0, 1);
  const bar = rng() < 0.35 ? uniform(rng, 0.3, 1) : uniform(rng, 0, 0.15);
  const bulgeColour = normalise([1, uniform(rng, 0.7, 0.8), uniform(rng, 0.36, 0.5)]);
  const blue = (1 - stage) * uniform(rng, 0.5, 1);
  const diskColour = normalise([1 - 0.15 * blue, uniform(rng, 0.8, 0.88), 0.62 + 0.38 * blue]);
  return {
    kind: "disk",
    axisRatio: Math.hypot(Math.cos(inclination), thickness * Math.sin(inclination)),
    positionAngle,
    radius: logUniform(rng, 17, 33),
    angularRadius: logUniform(rng, 3.5, 12) * SDSS_PIXEL_ARCSEC,
    brightness: 12 * relativeBrightness,
    sersicIndex: uniform(rng, 1.2, 3),
    bulgeFraction: irregular ? 0.01 : clamp(0.03 + 0.55 * Math.pow(stage, 1.6) + gaussian(rng, 0, 0.05), 0, 0.8),
    bulgeShape: rng() < 0.15 + 0.3 * bar ? "boxy" : "round",
    bulgeAxisRatio: Math.hypot(Math.cos(inclination), uniform(rng, 0.55, 0.9) * Math.sin(inclination)),
    coreColour: bulgeColour,
    outerColour: irregular ? normalise([0.85, 0.9, 1.1]) : diskColour,
    disk: {
      inclination,
      thickness,
      bar: irregular ? 0 : bar,
      armCount: 1 + pickWeighted(rng, [5, 55, 15, 10, 10, 5]),
      pitchAngle: clamp(30 - 18 * stage + gaussian(rng, 0, 4), 6, 42),
      armContrast: irregular ? armContrast * 0.3 : armContrast,
      dustLane: uniform(rng, 0.1, 1) * (1 - 0.5 * stage),
    },
    oddFeature,
    oddStrength: oddFeature === "none" ? 0 : uniform(rng, 0.3, 1),
  };
}

function pickOdd(rng: Rng, weights: Partial<Record<OddFeature, number>>): OddFeature {
  const entries = Object.entries(weights) as [OddFeature, number][];
  return entries[pickWeighted(rng, entries.map(([, w]) => w))]![0];
}

function normalise(rgb: readonly [number, number, number]): Rgb {
  const mean = (rgb[0] + rgb[1] + rgb[2]) / 3;
  return [rgb[0] / mean, rgb[1] / mean, rgb[2] / mean];
}

/**
 * How a volunteer's eye departs from the ideal one: a bias on the axis ratio they perceive
 * and a sensitivity to faint detail (arms, bars, dust) that multiplies its visibility.
 */
export interface Perception {
  readonly axisRatioBias: number;
  readonly detailSensitivity: number;
}

export const IDEAL_PERCEPTION: Perception = { axisRatioBias: 0, detailSensitivity: 1 };

/** For each question, the probability of each of its answers (keyed by answer id); each question sums to 1. */
export type AnswerProbabilities = Readonly<Record<QuestionId, Readonly<Record<string, number>>>>;

/**
 * How visible fine structure is, 0 ... 1: it needs the galaxy to span several seeing disks and
 * to stand well above the sky noise. Faint or small galaxies lose their arms, bars and lanes.
 */
export function detailVisibility(truth: GalaxyTruth): number {
  const resolution = sigmoid((truth.angularRadius / SEEING_ARCSEC - 1.2) / 0.35);
  const b2 = truth.brightness * truth.brightness;
  return resolution * (b2 / (b2 + 16));
}

/**
 * The axis ratio a volunteer sees: the disk's and the bulge's outlines blended by the light
 * in them, then rounded by the seeing, which matters for the small galaxies (moments of the
 * galaxy's visible extent, ~2.5 half-light radii, convolved with a Gaussian PSF).
 */
export function apparentAxisRatio(truth: GalaxyTruth): number {
  const q = truth.disk ? truth.axisRatio + 0.4 * truth.bulgeFraction * (truth.bulgeAxisRatio - truth.axisRatio) : truth.axisRatio;
  const extent2 = (2.5 * truth.angularRadius) ** 2;
  const seeing2 = (SEEING_ARCSEC / 2.355) ** 2;
  return Math.sqrt((q * q * extent2 + seeing2) / (extent2 + seeing2));
}

/**
 * The answer probabilities of an ideal volunteer (or, with a perception, of a particular one)
 * for every question, whether or not the tree would lead there for this galaxy.
 */
export function truthAnswerProbabilities(truth: GalaxyTruth, perception: Perception = IDEAL_PERCEPTION): AnswerProbabilities {
  const q = clamp(apparentAxisRatio(truth) + perception.axisRatioBias, 0.02, 1);
  const detail = clamp(detailVisibility(truth) * perception.detailSensitivity, 0, 1);
  const disk = truth.disk;
  const cosI = disk ? Math.cos(disk.inclination) : 1;
  // Arms wash out beyond ~65 degrees of inclination; a bar stays readable a little further.
  const armVis = disk ? clamp(disk.armContrast * sigmoid((cosI - 0.38) / 0.08) * detail, 0, 1) : 0;
  const barVis = disk ? clamp(disk.bar * sigmoid((cosI - 0.3) / 0.08) * detail, 0, 1) : 0;
  const thin = sigmoid((0.36 - q) / 0.045);
  const dustVis = disk ? clamp(disk.dustLane * sigmoid((0.45 - cosI) / 0.08) * detail, 0, 1) : 0;
  const odd = truth.oddFeature;
  const oddVis = truth.oddStrength * (0.4 + 0.6 * detail);
  const bf = truth.bulgeFraction;

  // Q1: a thin disk whose bulge dominates and whose lane is lost reads as a smooth cigar; an
  // elongated smooth galaxy in turn passes for a disk: the cigar / edge-on confusion.
  let featured = disk
    ? -2.4 +
      8 * armVis +
      2.5 * barVis +
      4.5 * thin * (1 - 0.5 * bf) * (0.5 + 0.5 * detail) +
      2 * dustVis +
      1.5 * (1 - bf) * detail * (1 - thin)
    : -3.2 + 2.6 * sigmoid((0.3 - q) / 0.05);
  if (odd === "ring") featured += 1.5 * oddVis;
  else if (odd !== "none") featured += 3 * oddVis;
  const star = 0.01 + 0.3 * sigmoid((0.8 - truth.angularRadius) / 0.15);
  const pFeatured = sigmoid(featured);

  // Tidal tails and clumps pass for arms now and then.
  const spiralVis = Math.max(
    armVis,
    odd === "merger" ? 0.5 * oddVis : 0,
    odd === "irregular" || odd === "disturbed" ? 0.3 * oddVis : 0,
  );
  const pitch = disk?.pitchAngle ?? 20;
  const windingWidth = 2.5 + 5 * (1 - detail);

  return {
    "1": { "1.1": (1 - star) * (1 - pFeatured), "1.2": (1 - star) * pFeatured, "1.3": star },
    "2": binary("2.1", "2.2", sigmoid((0.38 - q) / 0.045 - 3 * armVis)),
    "3": binary("3.1", "3.2", 0.03 + 0.94 * sigmoid((barVis - 0.3) / 0.07)),
    "4": binary("4.1", "4.2", 0.02 + 0.96 * sigmoid((spiralVis - 0.25) / 0.06)),
    "5": ordinal(["5.1", "5.2", "5.3", "5.4"], bf, [0.05, 0.18, 0.42], 0.035),
    "6": binary("6.1", "6.2", 0.04 + 0.92 * sigmoid((oddScore(truth, oddVis, dustVis) - 0.4) / 0.08)),
    "7": ordinal(["7.3", "7.2", "7.1"], q, [0.42, 0.8], 0.05),
    "8": oddKinds(truth, oddVis, dustVis),
    "9": bulgeShapes(truth),
    "10": ordinal(["10.1", "10.2", "10.3"], pitch, [14, 26], windingWidth),
    "11": armCounts(disk?.armCount ?? 2, spiralVis, detail),
  };
}

function binary(yes: string, no: string, p: number): Record<string, number> {
  return { [yes]: p, [no]: 1 - p };
}

/**
 * Ordered answers along one quantity x with soft cuts: P(answer >= k) = sigmoid((x - cut_k) / width).
 * Increasing cuts keep every probability non-negative.
 */
function ordinal(ids: readonly string[], x: number, cuts: readonly number[], width: number): Record<string, number> {
  const above = [1, ...cuts.map((c) => sigmoid((x - c) / width)), 0];
  return Object.fromEntries(ids.map((id, k) => [id, above[k]! - above[k + 1]!]));
}

function oddScore(truth: GalaxyTruth, oddVis: number, dustVis: number): number {
  return Math.max(truth.oddFeature === "none" ? 0 : oddVis, 0.8 * dustVis);
}

/** What volunteers call each odd feature, with the usual mix-ups between related answers. */
const ODD_ANSWERS: Record<OddFeature | "dust", Record<string, number>> = {
  none: { "8.1": 0.05, "8.2": 0.1, "8.3": 0.15, "8.4": 0.15, "8.5": 0.45, "8.6": 0.05, "8.7": 0.05 },
  ring: { "8.1": 0.85, "8.2": 0.08, "8.5": 0.07 },
  merger: { "8.6": 0.65, "8.3": 0.2, "8.4": 0.08, "8.5": 0.07 },
  disturbed: { "8.3": 0.6, "8.6": 0.15, "8.4": 0.15, "8.5": 0.1 },
  irregular: { "8.4": 0.65, "8.3": 0.2, "8.5": 0.1, "8.6": 0.05 },
  dust: { "8.7": 0.85, "8.5": 0.1, "8.3": 0.05 },
};

function oddKinds(truth: GalaxyTruth, oddVis: number, dustVis: number): Record<string, number> {
  const sources: [Record<string, number>, number][] = [
    [ODD_ANSWERS.none, 0.1],
    [ODD_ANSWERS[truth.oddFeature], truth.oddFeature === "none" ? 0 : oddVis],
    [ODD_ANSWERS.dust, dustVis],
  ];
  const out: Record<string, number> = Object.fromEntries(getQuestion("8").answers.map((a) => [a.id, 0]));
  const total = sources.reduce((s, [, w]) => s + w, 0);
  for (const [answers, w] of sources) for (const [id, p] of Object.entries(answers)) out[id]! += (w * p) / total;
  return out;
}

function bulgeShapes(truth: GalaxyTruth): Record<string, number> {
  const none = sigmoid((0.07 - truth.bulgeFraction) / 0.025);
  const boxy = (1 - none) * (truth.bulgeShape === "boxy" ? 0.75 : 0.08);
  return { "9.1": 1 - none - boxy, "9.2": boxy, "9.3": none };
}

/** Neighbouring counts get confused, more so in coarse images; faint patterns are "can't tell". */
function armCounts(armCount: number, spiralVis: number, detail: number): Record<string, number> {
  const cantTell = 0.04 + 0.7 * sigmoid((0.4 - spiralVis) / 0.08);
  const sharpness = 0.5 + 2.2 * detail;
  const seen = Math.min(armCount, 5);
  const weights = [1, 2, 3, 4, 5].map((k) => Math.exp(-sharpness * Math.abs(k - seen)));
  const total = weights.reduce((s, w) => s + w, 0);
  const out: Record<string, number> = {};
  weights.forEach((w, i) => (out[`11.${i + 1}`] = ((1 - cantTell) * w) / total));
  out["11.6"] = cantTell;
  return out;
}

/**
 * The 37 cumulative vote fractions (Kaggle convention) an infinite crowd of volunteers with
 * the given answer probabilities would produce.
 */
export function expectedFractions(probabilities: AnswerProbabilities): number[] {
  // Each question's probabilities are its conditional shares: chained down the tree as counts.
  return chainedFractions(Object.assign({}, ...Object.values(probabilities)) as Record<string, number>);
}

/**
 * The HIWL class the truth represents: the one an ideal crowd's vote fractions pass with the
 * selection rules, or null for a galaxy in between classes (as most real galaxies are).
 */
export function expectedClass(truth: GalaxyTruth): HiwlClass | null {
  return selectClass(expectedFractions(truthAnswerProbabilities(truth)));
}
