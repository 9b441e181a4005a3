/** `hiwl bench scale` end to end, small: the real CLI renders, trains one epoch and scores every galaxy. */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { createDb } from "@hiwl/db";

const HIWL = fileURLToPath(new URL("../bin/hiwl.mjs", import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), "hiwl-scale-test-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const scale = () =>
  promisify(execFile)(process.execPath, [HIWL, "bench", "scale", "--galaxies", "150", "--variant", "nano", "--input-size", "32", "--data-dir", dataDir, "--backend", "wasm"], {
    timeout: 240_000,
  });

describe("hiwl bench scale", { timeout: 300_000 }, () => {
  it("times rendering, one epoch of training and scoring every galaxy, and reuses the catalogue the second time", async () => {
    const first = await scale();
    const rows = (text: string) => new Map(text.split("\n").filter((l) => /^\S.*\s\d+\.\d\s/.test(l)).map((l) => [l.split(/\s{2,}/)[0]!, l.split(/\s{2,}/).slice(1)]));
    const table = rows(first.stdout);
    expect(table.get("render")?.[1]).toBe("150");
    expect(table.get("score every galaxy")?.[1]).toBe("150");
    expect(first.stdout).toMatch(/^150 synthetic galaxies, nano at 32 px, \d+ training replica\(s\)/m);
    expect(first.stdout).toMatch(/level1 epoch 1 +\d+\.\d +\d+\.\d/);
    expect(first.stdout).toContain("scored 150 galaxies with ");
    const db = createDb({ dataDir });
    try {
      expect(await db.prediction.count()).toBe(150);
      expect(await db.modelVersion.count()).toBe(1);
    } finally {
      await db.$disconnect();
    }
    const second = await scale();
    expect(rows(second.stdout).has("render (150 reused)")).toBe(true);
  });
});
