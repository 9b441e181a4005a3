/**
 * What the active-learning benchmark reports: the learning curves averaged over seeds with their
 * 95% interval bands, the headline (how many fewer classifications a strategy needs than its
 * baseline over the accuracies both reach, the area between their smoothed curves, per seed and
 * then as a mean with a 95% interval over the seeds), a text table and an SVG chart.
 */
import { meanInterval, type Interval } from "./intervals.ts";
import { markdownTable, percent } from "./markdown-table.ts";
import { RANDOM_WITH_RULES, type Strategy, type StrategyRun } from "./al-run.ts";

export interface CurvePoint {
  classifications: number;
  accuracy: number;
}

export interface Curve {
  strategy: Strategy;
  points: CurvePoint[];
  /** Per point, the 95% interval of the seeds' mean accuracy; absent with one seed. */
  band?: { low: number; high: number }[];
}

/** Each strategy's rounds averaged over its seeds, up to the last round every seed reached, with the interval band from two seeds on. */
export function meanCurves(runs: readonly StrategyRun[]): Curve[] {
  const strategies = [...new Set(runs.map((r) => r.strategy))];
  return strategies.map((strategy) => {
    const mine = runs.filter((r) => r.strategy === strategy);
    const length = Math.min(...mine.map((r) => r.rounds.length));
    const at = (i: number, pick: (round: StrategyRun["rounds"][number]) => number) => meanInterval(mine.map((run) => pick(run.rounds[i]!)));
    const rounds = Array.from({ length }, (_, i) => ({ classifications: at(i, (r) => r.classifications).mean, accuracy: at(i, (r) => r.accuracy) }));
    return {
      strategy,
      points: rounds.map((r) => ({ classifications: r.classifications, accuracy: r.accuracy.mean })),
      ...(mine.length > 1 && { band: rounds.map((r) => ({ low: r.accuracy.low, high: r.accuracy.high })) }),
    };
  });
}

/**
 * The curve made non-decreasing by isotonic regression (pool adjacent violators, weighted by
 * rounds): a model retrained on more votes is not worse in truth, and a round that happened to
 * dip (random order fell to 59.5% in one round of the first runs) no longer decides a crossing.
 */
export function smoothCurve(points: readonly CurvePoint[]): CurvePoint[] {
  const blocks: { sum: number; count: number }[] = [];
  for (const p of points) {
    blocks.push({ sum: p.accuracy, count: 1 });
    while (blocks.length > 1 && blocks.at(-2)!.sum / blocks.at(-2)!.count > blocks.at(-1)!.sum / blocks.at(-1)!.count) {
      const last = blocks.pop()!;
      blocks.at(-1)!.sum += last.sum;
      blocks.at(-1)!.count += last.count;
    }
  }
  const accuracies = blocks.flatMap((b) => Array<number>(b.count).fill(b.sum / b.count));
  return points.map((p, i) => ({ classifications: p.classifications, accuracy: accuracies[i]! }));
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

/** Accuracy levels a saving is averaged over, evenly spaced over the range both curves reach. */
const LEVELS = 1001;

/** Accuracy at `classifications`, linear between rounds and flat beyond the first and last. */
export function accuracyAt(points: readonly CurvePoint[], classifications: number): number {
  const i = points.findIndex((p) => p.classifications >= classifications);
  if (i < 0) return points.at(-1)!.accuracy;
  const b = points[i]!;
  if (i === 0 || b.classifications === classifications) return b.accuracy;
  const a = points[i - 1]!;
  return a.accuracy + ((classifications - a.classifications) / (b.classifications - a.classifications)) * (b.accuracy - a.accuracy);
}

export interface CurveComparison {
  /**
   * The area between the curves taken sideways, as a share of the area under the baseline's:
   * 1 - the classifications the strategy needs / those the baseline needs, summed over evenly
   * spaced accuracies from the higher of the two first rounds to the lower of the two last.
   * null where the curves share no accuracy (one ends below where the other starts).
   */
  fewer: number | null;
  /** The accuracy range it is averaged over. */
  accuracies: { from: number; to: number } | null;
  /** The strategy's accuracy minus the baseline's, averaged over the classifications both curves span. */
  gain: number;
}

/**
 * Two curves (smoothed: smoothCurve) compared over their whole length. Unlike the first crossing
 * of the baseline's final accuracy, every round between the common start and end counts, so no
 * single round decides the result; on flat curves the crossing came and went with one round's
 * noise (`npm run bench:al`, tiny 64 px: random+rules crossed in 3 of 5 seeds).
 */
export function compareCurves(strategy: readonly CurvePoint[], baseline: readonly CurvePoint[]): CurveComparison {
  const from = Math.max(strategy[0]!.accuracy, baseline[0]!.accuracy);
  const to = Math.min(strategy.at(-1)!.accuracy, baseline.at(-1)!.accuracy);
  const first = Math.max(strategy[0]!.classifications, baseline[0]!.classifications);
  const last = Math.min(strategy.at(-1)!.classifications, baseline.at(-1)!.classifications);
  // The last level is `hi` itself: rounding must not put it above a curve's last accuracy.
  const levels = (lo: number, hi: number) => Array.from({ length: LEVELS }, (_, k) => (k === LEVELS - 1 ? hi : lo + ((hi - lo) * k) / (LEVELS - 1)));
  const gain = levels(first, last).reduce((sum, n) => sum + accuracyAt(strategy, n) - accuracyAt(baseline, n), 0) / LEVELS;
  if (!(to >= from)) return { fewer: null, accuracies: null, gain };
  // Both curves reach every level by their last round, so neither sum meets a null.
  const needed = (points: readonly CurvePoint[]) => levels(from, to).reduce((sum, a) => sum + classificationsToReach(points, a)!, 0);
  return { fewer: 1 - needed(strategy) / needed(baseline), accuracies: { from, to }, gain };
}

export interface Saving {
  strategy: Strategy;
  /** What it is measured against: "random" (count-only retirement) or random+rules. */
  baseline: Strategy;
  /** Per seed, the strategy's smoothed curve against the baseline's (compareCurves). */
  perSeed: ({ seed: number } & CurveComparison)[];
  /** Mean and 95% interval over the seeds of `fewer`; null unless every seed has one. */
  fewer: Interval | null;
  /** Mean and 95% interval over the seeds of the accuracy gain. */
  gain: Interval;
}

export interface Headline {
  /** Random order's mean accuracy with its whole budget, and that budget (the chart's dashed line). */
  target: CurvePoint;
  /** Each strategy against random order with count-only retirement: the queue and early retirement together. */
  savings: Saving[];
  /** Each acquisition function against random order with the same retirement rules: the queue's own share. */
  queueShare: Saving[];
  /** The acquisition function with the largest mean saving against random order: random+rules, a baseline, is none. */
  best: Saving | null;
}

function saving(runs: readonly StrategyRun[], strategy: Strategy, baseline: Strategy): Saving {
  const seeds = [...new Set(runs.filter((r) => r.strategy === strategy).map((r) => r.seed))].sort((a, b) => a - b);
  const smooth = (run: StrategyRun) => smoothCurve(run.rounds.map((r) => ({ classifications: r.classifications, accuracy: r.accuracy })));
  const perSeed = seeds.flatMap((seed) => {
    const base = runs.find((r) => r.strategy === baseline && r.seed === seed);
    const mine = runs.find((r) => r.strategy === strategy && r.seed === seed)!;
    if (!base || base.rounds.length === 0 || mine.rounds.length === 0) return [];
    return [{ seed, ...compareCurves(smooth(mine), smooth(base)) }];
  });
  const gain = meanInterval(perSeed.map((s) => s.gain));
  const saved = perSeed.flatMap((s) => (s.fewer === null ? [] : [s.fewer]));
  if (saved.length === 0 || saved.length < perSeed.length) return { strategy, baseline, perSeed, fewer: null, gain };
  // No strategy saves more than the whole budget, whatever the t interval's symmetry says.
  const interval = meanInterval(saved);
  return { strategy, baseline, perSeed, fewer: { ...interval, high: Math.min(1, interval.high) }, gain };
}

export function headline(runs: readonly StrategyRun[]): Headline | null {
  const curves = meanCurves(runs);
  const random = curves.find((c) => c.strategy === "random");
  if (!random || random.points.length === 0) return null;
  const others = curves.map((c) => c.strategy).filter((s) => s !== "random");
  const savings = others.map((s) => saving(runs, s, "random"));
  const queueShare = others.includes(RANDOM_WITH_RULES)
    ? others.filter((s) => s !== RANDOM_WITH_RULES).map((s) => saving(runs, s, RANDOM_WITH_RULES))
    : [];
  const reached = savings.filter((s) => s.fewer !== null && s.strategy !== RANDOM_WITH_RULES);
  const best = reached.length === 0 ? null : reached.reduce((a, b) => (b.fewer!.mean > a.fewer!.mean ? b : a));
  return { target: random.points.at(-1)!, savings, queueShare, best };
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

/**
 * "margin: 25.7% fewer classifications than random (the saving's 95% interval 5.8% to 45.7%,
 * 5 seeds); accuracy +2.3 points (95% interval +0.8 to +3.7)", or in how many seeds the curves
 * share no accuracy range.
 */
export function formatSaving(s: Saving): string {
  const seeds = `${s.perSeed.length} seed${s.perSeed.length === 1 ? "" : "s"}`;
  const several = s.perSeed.length > 1;
  const points = (v: number) => `${v >= 0 ? "+" : ""}${(100 * v).toFixed(1)}`;
  const gain = `accuracy ${points(s.gain.mean)} points${several ? ` (95% interval ${points(s.gain.low)} to ${points(s.gain.high)})` : ""}`;
  if (s.fewer === null) {
    const missed = s.perSeed.filter((p) => p.fewer === null).length;
    return `${s.strategy}: no accuracy range shared with ${s.baseline} in ${missed} of ${seeds}; ${gain}`;
  }
  const interval = several ? `the saving's 95% interval ${percent(s.fewer.low)} to ${percent(s.fewer.high)}, ` : "";
  return `${s.strategy}: ${fewerOrMore(s.fewer.mean)} classifications than ${s.baseline} (${interval}${seeds}); ${gain}`;
}

/** A saving as "25.7% fewer", a negative one as "3.2% more". */
function fewerOrMore(fewer: number): string {
  return `${percent(Math.abs(fewer))} ${fewer >= 0 ? "fewer" : "more"}`;
}

export function formatHeadline(h: Headline | null): string {
  if (!h) return "No headline: random order, its baseline, was not run; --merge this file with one that has it.";
  const lines = [
    "Per seed on smoothed curves, then averaged over seeds: classifications saved over the accuracies both curves reach, and accuracy gained over the budget:",
    ...h.savings.map((s) => `  ${formatSaving(s)}`),
  ];
  if (h.queueShare.length > 0) lines.push(`The queue's own share, against random order with the same retirement rules:`, ...h.queueShare.map((s) => `  ${formatSaving(s)}`));
  lines.push(h.best ? `Headline: ${formatSaving(h.best)}.` : "Headline: no acquisition function shares an accuracy range with random order in every seed.");
  return lines.join("\n");
}

const COLORS: Record<Strategy, string> = {
  random: "#6b7280",
  [RANDOM_WITH_RULES]: "#a16207",
  entropy: "#2563eb",
  margin: "#16a34a",
  "entropy-per-vote": "#0891b2",
  "margin-per-vote": "#7c3aed",
  "bald-per-vote": "#db2777",
  bald: "#dc2626",
};

/** A line chart of held-out accuracy against classifications, with random's final accuracy dashed. */
export function chartSvg(curves: readonly Curve[], h: Headline | null, title: string): string {
  const [width, height] = [820, 440];
  // The right margin holds the legend, whose longest label is "margin-per-vote: 25.0% fewer".
  const m = { left: 64, right: 230, top: 44, bottom: 56 };
  const points = curves.flatMap((c) => c.points);
  const xMax = niceCeil(Math.max(...points.map((p) => p.classifications)));
  const accs = [...points.map((p) => p.accuracy), ...curves.flatMap((c) => (c.band ?? []).flatMap((b) => [b.low, b.high]))].map((a) =>
    Math.min(1, Math.max(0, a)),
  );
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
  );
  if (h) {
    out.push(`<line x1="${m.left}" y1="${f(y(h.target.accuracy))}" x2="${width - m.right}" y2="${f(y(h.target.accuracy))}" stroke="#6b7280" stroke-dasharray="5 4"/>`);
  }
  // The 95% interval bands first, under every line.
  for (const c of curves) {
    if (!c.band) continue;
    const clamp = (v: number) => Math.min(yMax, Math.max(yMin, v));
    const upper = c.points.map((p, i) => `${f(x(p.classifications))},${f(y(clamp(c.band![i]!.high)))}`);
    const lower = c.points.map((p, i) => `${f(x(p.classifications))},${f(y(clamp(c.band![i]!.low)))}`).reverse();
    out.push(`<polygon points="${[...upper, ...lower].join(" ")}" fill="${COLORS[c.strategy]}" fill-opacity="0.12" stroke="none"/>`);
  }
  curves.forEach((c, k) => {
    const color = COLORS[c.strategy];
    const path = c.points.map((p) => `${f(x(p.classifications))},${f(y(p.accuracy))}`).join(" ");
    out.push(`<polyline points="${path}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const p of c.points) out.push(`<circle cx="${f(x(p.classifications))}" cy="${f(y(p.accuracy))}" r="3" fill="${color}"/>`);
    const ly = m.top + 10 + 20 * k;
    const saving = h?.savings.find((s) => s.strategy === c.strategy);
    const fewer = saving?.fewer?.mean;
    const amount = fewer === undefined ? "" : `: ${fewerOrMore(fewer)}`;
    const label = c.strategy === "random" ? "random (count 15)" : `${c.strategy}${amount}`;
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
