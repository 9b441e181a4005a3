import { describe, expect, it } from "vitest";
import {
  ANSWER_IDS,
  QUESTIONS,
  TOPOLOGICAL_ORDER,
  descendants,
  kaggleColumn,
  questionOf,
  remainingQuestions,
  validateWalk,
  walk,
} from "./decision-tree.ts";

describe("decision tree", () => {
  it("has the 11 questions and 37 answers of the Kaggle columns, in column order", () => {
    expect(QUESTIONS).toHaveLength(11);
    expect(ANSWER_IDS).toHaveLength(37);
    expect(ANSWER_IDS.slice(0, 5)).toEqual(["1.1", "1.2", "1.3", "2.1", "2.2"]);
    expect(ANSWER_IDS.at(-1)).toBe("11.6");
    expect(ANSWER_IDS.map(kaggleColumn)).toContain("Class8.7");
    expect(new Set(ANSWER_IDS).size).toBe(37);
    expect(questionOf("10.3")).toBe("10");
  });

  it("branches as in HIWL.md", () => {
    const next = (id: string) => QUESTIONS.flatMap((q) => q.answers).find((x) => x.id === id)!.next;
    expect([next("1.1"), next("1.2"), next("1.3")]).toEqual(["7", "2", null]);
    expect([next("2.1"), next("2.2")]).toEqual(["9", "3"]);
    expect([next("3.1"), next("3.2")]).toEqual(["4", "4"]);
    expect([next("4.1"), next("4.2")]).toEqual(["10", "5"]);
    expect(next("10.2")).toBe("11");
    expect(next("11.6")).toBe("5");
    expect(next("5.4")).toBe("6");
    expect(next("7.3")).toBe("6");
    expect(next("9.2")).toBe("6");
    expect([next("6.1"), next("6.2")]).toEqual(["8", null]);
    expect(next("8.6")).toBeNull();
    expect(descendants("6")).toEqual(["8"]);
    expect(descendants("7")).toEqual(["6", "8"]);
    expect(descendants("1")).toHaveLength(QUESTIONS.length - 1);
  });

  it("orders every question after the questions leading to it, and counts what is left from each", () => {
    expect([...TOPOLOGICAL_ORDER].sort()).toEqual(QUESTIONS.map((q) => q.id).sort());
    for (const q of QUESTIONS) {
      for (const a of q.answers) if (a.next) expect(TOPOLOGICAL_ORDER.indexOf(a.next)).toBeGreaterThan(TOPOLOGICAL_ORDER.indexOf(q.id));
    }
    // 1.3 (star or artifact) ends at once; the longest way is 1 2 3 4 10 11 5 6 8.
    expect(remainingQuestions("1")).toEqual({ min: 1, max: 9 });
    expect(remainingQuestions("7")).toEqual({ min: 2, max: 3 });
    expect(remainingQuestions("6")).toEqual({ min: 1, max: 2 });
    expect(remainingQuestions("8")).toEqual({ min: 1, max: 1 });
  });

  it("describes every answer for the field guide", () => {
    for (const q of QUESTIONS) for (const ans of q.answers) expect(ans.help, ans.id).toMatch(/^[A-Z].{5,}\.$/);
  });

  it("accepts complete paths from Q1 to an end", () => {
    expect(validateWalk(["1.3"])).toEqual({ ok: true });
    expect(validateWalk(["1.1", "7.3", "6.2"])).toEqual({ ok: true });
    expect(validateWalk(["1.2", "2.1", "9.1", "6.1", "8.7"])).toEqual({ ok: true });
    expect(validateWalk(["1.2", "2.2", "3.1", "4.1", "10.1", "11.2", "5.3", "6.2"])).toEqual({ ok: true });
    expect(validateWalk(["1.2", "2.2", "3.2", "4.2", "5.1", "6.2"])).toEqual({ ok: true });
  });

  it("rejects incomplete, out-of-order and overlong walks with the position", () => {
    expect(validateWalk([])).toEqual({ ok: false, error: "the classification stops before question 1 is answered" });
    expect(validateWalk(["1.1", "7.1"])).toMatchObject({ ok: false, error: expect.stringContaining("question 6") });
    expect(walk(["1.1", "2.1"])).toMatchObject({ status: "invalid", index: 1 });
    expect(validateWalk(["1.1", "2.1"])).toMatchObject({ error: expect.stringContaining("expected one of 7.1, 7.2, 7.3") });
    expect(walk(["1.3", "6.2"])).toMatchObject({ status: "invalid", index: 1 });
    expect(walk(["9.9"])).toMatchObject({ status: "invalid", index: 0 });
    const state = walk(["1.2", "2.2"]);
    expect(state.status === "in-progress" && state.question.id).toBe("3");
  });
});
