import { describe, expect, it } from "vitest";
import { HIWL_CLASSES } from "./classes.ts";
import {
  LEVEL1_CLASSES,
  LEVEL2_CLASSES,
  LEVEL_CLASSES,
  level1Target,
  level2Target,
  levelTarget,
  NETWORKS,
} from "./hierarchy.ts";

describe("HIWL hierarchy", () => {
  it("merges cigar and edge-on at level 1 and separates them at level 2", () => {
    expect(LEVEL1_CLASSES).toEqual(["round", "in-between", "cigar+edge-on", "spiral"]);
    expect(LEVEL2_CLASSES).toEqual(["cigar", "edge-on"]);
    expect(LEVEL_CLASSES.flat).toEqual(HIWL_CLASSES);
    expect(NETWORKS).toEqual({ hierarchical: ["level1", "level2"], flat: ["flat"] });
  });

  it("maps hard targets to each level, level 2 only for cigar and edge-on", () => {
    const idx = (cls: (typeof HIWL_CLASSES)[number]) => HIWL_CLASSES.indexOf(cls);
    expect(level1Target(idx("round"))).toEqual([1, 0, 0, 0]);
    expect(level1Target(idx("cigar"))).toEqual([0, 0, 1, 0]);
    expect(level1Target(idx("edge-on"))).toEqual([0, 0, 1, 0]);
    expect(level1Target(idx("spiral"))).toEqual([0, 0, 0, 1]);
    expect(level2Target(idx("cigar"))).toEqual([1, 0]);
    expect(level2Target(idx("edge-on"))).toEqual([0, 1]);
    expect(level2Target(idx("round"))).toBeNull();
    expect(levelTarget("flat", idx("in-between"))).toEqual([0, 1, 0, 0, 0]);
  });

  it("maps soft targets: summed into the merged class, renormalised over the pair", () => {
    const soft = [0.1, 0.2, 0.3, 0.1, 0.3];
    level1Target(soft).forEach((p, i) => expect(p).toBeCloseTo([0.1, 0.2, 0.4, 0.3][i]!, 12));
    level2Target(soft)!.forEach((p, i) => expect(p).toBeCloseTo([0.75, 0.25][i]!, 12));
    expect(level2Target([0.5, 0.5, 0, 0, 0])).toBeNull();
    expect(() => level1Target([0.5, 0.5])).toThrow(/5-class/);
  });
});
