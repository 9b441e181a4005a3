import { describe, expect, it } from "vitest";
import {
  HIWL_CLASSES,
  QUESTIONS,
  countAnswers,
  cumulativeFractions,
  selectClass,
  validateWalk,
  type HiwlClass,
} from "@hiwl/model";
import {
  answerWalk,
  createRng,
  createSimulatedVolunteer,
  expectedClass,
  generateGalaxy,
  render,
  sampleTruth,
  truthAnswerProbabilities,
  type GalaxyTruth,
} from "../src/synthetic/index.ts";

const SMOOTH: GalaxyTruth = {
  kind: "smooth",
  axisRatio: 0.95,
  positionAngle: 0.4,
  radius: 18,
  angularRadius: 2,
  brightness: 25,
  sersicIndex: 4,
  bulgeFraction: 1,
  bulgeShape: "round",
  bulgeAxisRatio: 0.95,
  coreColour: [1.4, 1.03, 0.57],
  outerColour: [1.36, 1.04, 0.6],
  disk: null,
  oddFeature: "none",
  oddStrength: 0,
};

const SPIRAL: GalaxyTruth = {
  ...SMOOTH,
  kind: "disk",
  axisRatio: 0.92,
  bulgeAxisRatio: 0.95,
  radius: 26,
  angularRadius: 3.5,
  brightness: 20,
  sersicIndex: 2,
  bulgeFraction: 0.12,
  coreColour: [1.36, 1.03, 0.61],
  outerColour: [0.95, 0.92, 1.13],
  disk: { inclination: 0.4, thickness: 0.15, bar: 0.1, armCount: 2, pitchAngle: 22, armContrast: 0.9, dustLane: 0.3 },
};

const EDGE_ON: GalaxyTruth = {
  ...SPIRAL,
  axisRatio: 0.16,
  bulgeAxisRatio: 0.6,
  bulgeFraction: 0.15,
  disk: { ...SPIRAL.disk!, inclination: 1.55, armContrast: 0.5, dustLane: 0.8 },
};

const withAxisRatio = (truth: GalaxyTruth, q: number): GalaxyTruth => ({ ...truth, axisRatio: q, bulgeAxisRatio: q });

function crowdClass(truth: GalaxyTruth, size: number, seed: string): HiwlClass | null {
  const rng = createRng(seed);
  const walks = Array.from({ length: size }, (_, i) => answerWalk(createSimulatedVolunteer(`${seed}:${i}`), truth, rng));
  const { counts, total } = countAnswers(walks);
  return selectClass(cumulativeFractions(counts, total));
}

describe("rendering", () => {
  it("is deterministic: the same seed gives the same bytes, another seed other bytes", () => {
    const a = generateGalaxy("determinism");
    const b = generateGalaxy("determinism");
    const c = generateGalaxy("determinism-2");
    expect(a.rgb).toHaveLength(424 * 424 * 3);
    expect(Buffer.from(a.rgb).equals(Buffer.from(b.rgb))).toBe(true);
    expect(a.truth).toEqual(b.truth);
    expect(Buffer.from(a.rgb).equals(Buffer.from(c.rgb))).toBe(false);
    expect(Buffer.from(render(SPIRAL, 1)).equals(Buffer.from(render(SPIRAL, 2)))).toBe(false);
  });

  it("renders any size", () => {
    expect(render(SMOOTH, "small", 96)).toHaveLength(96 * 96 * 3);
  });

  it("draws a bright galaxy in the middle of a dark sky", () => {
    for (const truth of [SMOOTH, SPIRAL, EDGE_ON]) {
      const rgb = render(truth, "stats");
      const mean = (x0: number, x1: number, y0: number, y1: number) => {
        let sum = 0;
        for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) for (let ch = 0; ch < 3; ch++) sum += rgb[(y * 424 + x) * 3 + ch]!;
        return sum / ((x1 - x0) * (y1 - y0) * 3);
      };
      const sky = (mean(0, 424, 0, 30) + mean(0, 424, 394, 424)) / 2;
      expect(sky).toBeLessThan(25);
      expect(mean(202, 222, 202, 222)).toBeGreaterThan(60);
      expect(mean(202, 222, 202, 222)).toBeGreaterThan(5 * sky);
    }
  });
});

describe("truth", () => {
  it("mixes all five classes, cigars rarer than the rest but not absent", () => {
    const rng = createRng("mix");
    const counts: Record<string, number> = {};
    const n = 2000;
    for (let i = 0; i < n; i++) {
      const cls = String(expectedClass(sampleTruth(rng)));
      counts[cls] = (counts[cls] ?? 0) + 1;
    }
    const share = (cls: string) => (counts[cls] ?? 0) / n;
    for (const cls of HIWL_CLASSES) expect(share(cls)).toBeGreaterThan(0.04);
    expect(share("cigar")).toBeLessThan(0.12);
    for (const cls of ["round", "in-between", "spiral"]) expect(share("cigar")).toBeLessThan(share(cls));
    // Many galaxies sit between classes and pass no selection rule, as in Galaxy Zoo 2.
    expect(share("null")).toBeGreaterThan(0.1);
    expect(share("null")).toBeLessThan(0.5);
  });

  it("gives answer probabilities that sum to 1 for every question", () => {
    const rng = createRng("sums");
    for (let i = 0; i < 300; i++) {
      const probabilities = truthAnswerProbabilities(sampleTruth(rng));
      for (const q of QUESTIONS) {
        const values = q.answers.map((a) => probabilities[q.id][a.id]!);
        for (const p of values) expect(p).toBeGreaterThanOrEqual(0);
        expect(values.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 9);
      }
    }
  });

  it("makes 'cigar-shaped' gradually more likely as the axis ratio falls", () => {
    const ratios = Array.from({ length: 91 }, (_, i) => 1 - i * 0.01);
    const cigar = ratios.map((q) => truthAnswerProbabilities(withAxisRatio(SMOOTH, q))["7"]["7.3"]!);
    for (let i = 1; i < cigar.length; i++) expect(cigar[i]!).toBeGreaterThan(cigar[i - 1]!);
    expect(cigar[0]).toBeLessThan(0.01);
    expect(cigar.at(-1)).toBeGreaterThan(0.9);
    // No jump: a step of 0.01 in axis ratio moves the probability by well under 0.1.
    for (let i = 1; i < cigar.length; i++) expect(cigar[i]! - cigar[i - 1]!).toBeLessThan(0.1);
  });

  it("loses faint arms and confuses thin bulgy disks with cigars", () => {
    const spiralP = (brightness: number) => truthAnswerProbabilities({ ...SPIRAL, brightness })["4"]["4.1"]!;
    expect(spiralP(2)).toBeLessThan(spiralP(6));
    expect(spiralP(6)).toBeLessThan(spiralP(20));
    const bulgy = { ...EDGE_ON, bulgeFraction: 0.7, disk: { ...EDGE_ON.disk!, dustLane: 0 } };
    expect(truthAnswerProbabilities(bulgy)["1"]["1.1"]!).toBeGreaterThan(truthAnswerProbabilities(EDGE_ON)["1"]["1.1"]!);
    const cigar = withAxisRatio(SMOOTH, 0.25);
    expect(truthAnswerProbabilities(cigar)["1"]["1.2"]!).toBeGreaterThan(truthAnswerProbabilities(SMOOTH)["1"]["1.2"]!);
  });

  it("names the class of clear galaxies", () => {
    expect(expectedClass(SMOOTH)).toBe("round");
    expect(expectedClass(withAxisRatio(SMOOTH, 0.6))).toBe("in-between");
    expect(expectedClass(withAxisRatio(SMOOTH, 0.22))).toBe("cigar");
    expect(expectedClass(SPIRAL)).toBe("spiral");
    expect(expectedClass(EDGE_ON)).toBe("edge-on");
  });
});

describe("simulated volunteers", () => {
  it("always produce walks that validate, even at random (skill 0)", () => {
    const rng = createRng("walks");
    for (let i = 0; i < 1000; i++) {
      const truth = sampleTruth(rng);
      const volunteer = createSimulatedVolunteer(i, i % 5 === 0 ? 0 : undefined);
      const walk = answerWalk(volunteer, truth, rng);
      expect(validateWalk(walk)).toEqual({ ok: true });
    }
  });

  it("draw skills in a plausible range from the seed, reproducibly", () => {
    const skills = Array.from({ length: 200 }, (_, i) => createSimulatedVolunteer(i).skill);
    for (const s of skills) expect(s).toBeGreaterThanOrEqual(0.65);
    expect(Math.min(...skills)).toBeLessThan(0.75);
    expect(createSimulatedVolunteer("x")).toEqual(createSimulatedVolunteer("x"));
    expect(createSimulatedVolunteer("x", 0.5).skill).toBe(0.5);
  });

  it("agree, as a crowd of 30, with the class of a clear galaxy", () => {
    for (const [truth, cls] of [
      [SPIRAL, "spiral"],
      [EDGE_ON, "edge-on"],
      [SMOOTH, "round"],
    ] as const) {
      expect(expectedClass(truth)).toBe(cls);
      for (let crowd = 0; crowd < 5; crowd++) expect(crowdClass(truth, 30, `${cls}:${crowd}`)).toBe(cls);
    }
  });
});
