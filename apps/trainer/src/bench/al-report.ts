/**
 * What the active-learning benchmark reports: the learning curves averaged over seeds, the
 * headline (how many fewer classifications a strategy needs to reach the accuracy random order
 * reaches with its whole budget), a text table and an SVG chart.
 */
import { markdownTable, percent } from "./markdown-table.ts";
import type { Strategy, StrategyRun } from "./al-run.ts";

export interface CurvePoint {
  classifications: number;
  accuracy: number;
}

export interface Curve {
  strategy: Strategy;
  points: CurvePoint[];
}

/** Each strategy's rounds averaged over its seeds, up to the last round every seed reached. */
export function meanCurves(runs: readonly StrategyRun[]): Curve[] {
  const strategies = [...new Set(runs.map((r) => r.strategy))];
  return strategies.map((strategy) => {
    const mine = runs.filter((r) => r.strategy === strategy);
    const length = Math.min(...mine.map((r) => r.rounds.length));
    const mean = (pick: (i: number, run: StrategyRun) => number, i: number) =>
      mine.reduce((sum, run) => sum + pick(i, run), 0) / mine.length;
    return {
      strategy,
      points: Array.from({ length }, (_, i) => ({
        classifications: mean((k, run) => run.rounds[k]!.classifications, i),
        accuracy: mean((k, run) => run.rounds[k]!.accuracy, i),
      })),
    };
  });
}

/**
 * Classifications at which a curve first reaches `accuracy`, interpolated linearly between the
 * rounds around the crossing; null if it never does. A curve already there at its first round
 * is credited with that round's classifications: nothing was measured before it.
 */
export function classificationsToReach(points: readonly CurvePoint[], accuracy: number): number | null {
  const i = points.findIndex((p) => p.accuracy >= accuracy);
  if (i < 0) return null;
  const b = points[i]!;
  if (i === 0) return b.classifications;
  const a = points[i - 1]!;
  return a.classifications + ((accuracy - a.accuracy) / (b.accuracy - a.accuracy)) * (b.classifications - a.classifications);
}

export interface Saving {
  strategy: Strategy;
  /** Classifications to reach random order's final accuracy, or null if never reached. */
  classifications: number | null;
  /** 1 - classifications / random's budget, or null. */
  fewer: number | null;
}

export interface Headline {
  /** Random order's accuracy with its whole budget, and that budget. */
  target: CurvePoint;
  savings: Saving[];
  best: Saving | null;
}

export function headline(curves: readonly Curve[]): Headline {
  const random = curves.find((c) => c.strategy === "random");
  if (!random || random.points.length === 0) throw new Error("the headline needs the random-order baseline");
  const target = random.points.at(-1)!;
  const savings = curves
    .filter((c) => c.strategy !== "random")
    .map((c) => {
      const classifications = classificationsToReach(c.points, target.accuracy);
      return {
        strategy: c.strategy,
        classifications,
        fewer: classifications === null ? null : 1 - classifications / target.classifications,
      };
    });
  const reached = savings.filter((s) => s.fewer !== null);
  const best = reached.length === 0 ? null : reached.reduce((a, b) => (b.fewer! > a.fewer! ? b : a));
  return { target, savings, best };
}

/** Rows: rounds; columns: each strategy's classifications and accuracy. */
export function formatTable(curves: readonly Curve[]): string {
  const rounds = Math.max(...curves.map((c) => c.points.length));
  const header = ["round", ...curves.flatMap((c) => [`${c.strategy} classif.`, `${c.strategy} acc.`])];
  const rows = Array.from({ length: rounds }, (_, i) => [
    String(i + 1),
    ...curves.flatMap((c) => {
      const p = c.points[i];
      return p ? [Math.round(p.classifications).toString(), percent(p.accuracy)] : ["", ""];
    }),
  ]);
  return markdownTable(header, rows);
}

export function formatHeadline(h: Headline): string {
  const target = `random order's ${percent(h.target.accuracy)} at ${Math.round(h.target.classifications)} classifications`;
  const each = h.savings
    .map((s) => `${s.strategy} ${s.fewer === null ? "never reached it" : `${percent(s.fewer)} fewer (${Math.round(s.classifications!)})`}`)
    .join(", ");
  const best = h.best ? `${h.best.strategy} needs ${percent(h.best.fewer!)} fewer classifications to reach` : "no strategy reached";
  return `Headline: ${best} ${target} (${each}).`;
}

const COLORS: Record<Strategy, string> = { random: "#6b7280", entropy: "#2563eb", margin: "#16a34a", bald: "#dc2626" };

/** A line chart of held-out accuracy against classifications, with random's final accuracy dashed. */
export function chartSvg(curves: readonly Curve[], h: Headline, title: string): string {
  const [width, height] = [760, 440];
  const m = { left: 64, right: 176, top: 44, bottom: 56 };
  const points = curves.flatMap((c) => c.points);
  const xMax = niceCeil(Math.max(...points.map((p) => p.classifications)));
  const accs = points.map((p) => p.accuracy);
  const yMin = Math.max(0, Math.floor(Math.min(...accs) * 10) / 10);
  const yMax = Math.min(1, Math.ceil(Math.max(...accs) * 10) / 10);
  const x = (v: number) => m.left + (v / xMax) * (width - m.left - m.right);
  const y = (v: number) => height - m.bottom - ((v - yMin) / (yMax - yMin || 1)) * (height - m.top - m.bottom);
  const f = (v: number) => v.toFixed(1);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${m.left}" y="24" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const v = (xMax * i) / 5;
    out.push(
      `<line x1="${f(x(v))}" y1="${m.top}" x2="${f(x(v))}" y2="${height - m.bottom}" stroke="#e5e7eb"/>`,
      `<text x="${f(x(v))}" y="${height - m.bottom + 18}" text-anchor="middle">${Math.round(v)}</text>`,
    );
  }
  for (let v = yMin; v <= yMax + 1e-9; v += 0.05) {
    out.push(
      `<line x1="${m.left}" y1="${f(y(v))}" x2="${width - m.right}" y2="${f(y(v))}" stroke="#e5e7eb"/>`,
      `<text x="${m.left - 8}" y="${f(y(v) + 4)}" text-anchor="end">${Math.round(100 * v)}%</text>`,
    );
  }
  out.push(
    `<text x="${f((m.left + width - m.right) / 2)}" y="${height - 14}" text-anchor="middle">classifications</text>`,
    `<text transform="translate(16 ${f((m.top + height - m.bottom) / 2)}) rotate(-90)" text-anchor="middle">held-out accuracy</text>`,
    `<line x1="${m.left}" y1="${f(y(h.target.accuracy))}" x2="${width - m.right}" y2="${f(y(h.target.accuracy))}" stroke="#6b7280" stroke-dasharray="5 4"/>`,
  );
  curves.forEach((c, k) => {
    const color = COLORS[c.strategy];
    const path = c.points.map((p) => `${f(x(p.classifications))},${f(y(p.accuracy))}`).join(" ");
    out.push(`<polyline points="${path}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const p of c.points) out.push(`<circle cx="${f(x(p.classifications))}" cy="${f(y(p.accuracy))}" r="3" fill="${color}"/>`);
    const ly = m.top + 10 + 20 * k;
    const saving = h.savings.find((s) => s.strategy === c.strategy);
    const label = c.strategy === "random" ? "random (count 15)" : `${c.strategy}${saving?.fewer != null ? `: ${percent(saving.fewer)} fewer` : ""}`;
    out.push(
      `<line x1="${width - m.right + 12}" y1="${ly}" x2="${width - m.right + 32}" y2="${ly}" stroke="${color}" stroke-width="2"/>`,
      `<text x="${width - m.right + 38}" y="${ly + 4}">${escapeXml(label)}</text>`,
    );
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

/** v rounded up to a half of its power of ten, so that the axis ends just past the data. */
function niceCeil(v: number): number {
  const step = 10 ** Math.floor(Math.log10(Math.max(v, 1))) / 2;
  return Math.ceil(v / step) * step;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
