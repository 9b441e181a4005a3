"use client";

import { Bar, CartesianGrid, ComposedChart, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatPercent } from "./format.ts";
import type { Model } from "./model-versions.tsx";

type Calibration = NonNullable<Model["metrics"]["calibration"]>;
type Bin = Calibration["bins"][number];
type CoveragePoint = NonNullable<Calibration["coverage"]>[number];

const tick = { fill: "#94a3b8", fontSize: 11 };
const tooltipStyle = {
  contentStyle: { background: "#0b1024", border: "1px solid rgb(255 255 255 / 0.1)", borderRadius: 12 },
  labelStyle: { color: "#e2e8f0" },
};
const percentTick = (v: number) => `${Math.round(v * 100)}%`;

/**
 * How far the version's probabilities can be taken at their word: the temperature and what it
 * did to the expected calibration error, the reliability diagram (how often the model was right
 * at each confidence) and accuracy by coverage (how accurate it is on the galaxies it is surest of).
 */
export function CalibrationDetail({ calibration }: { calibration: Calibration }) {
  return (
    <div className="space-y-3" data-testid="calibration">
      <p className="text-sm text-slate-300" data-testid="calibration-summary">
        Temperature <span className="tabular-nums">{calibration.temperature.toFixed(3)}</span>, fitted on the validation galaxies:
        expected calibration error on the test galaxies <span className="tabular-nums">{formatPercent(calibration.eceBefore)}</span> before,{" "}
        <strong className="text-white tabular-nums">{formatPercent(calibration.eceAfter)}</strong> after.
      </p>
      <div className="grid gap-6 lg:grid-cols-2">
        <ReliabilityDiagram bins={calibration.bins} />
        {calibration.coverage && calibration.coverage.length > 0 ? (
          <CoverageCurve points={calibration.coverage} />
        ) : (
          <p className="text-sm text-slate-500">This version has no recorded accuracy-by-coverage curve.</p>
        )}
      </div>
    </div>
  );
}

/** Accuracy per confidence bin as bars against the diagonal a perfectly calibrated model would follow. */
function ReliabilityDiagram({ bins }: { bins: readonly Bin[] }) {
  const data = bins.map((b) => ({ ...b, middle: (b.lower + b.upper) / 2, shown: b.count > 0 ? b.accuracy : null }));
  return (
    <figure data-testid="reliability-diagram">
      <figcaption className="mb-1 text-xs text-slate-400">Reliability: share right at each confidence (diagonal: perfectly calibrated)</figcaption>
      <div className="h-56 w-full">
        <ResponsiveContainer width="100%" height="100%">
          <ComposedChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
            <CartesianGrid stroke="rgb(255 255 255 / 0.06)" vertical={false} />
            <XAxis dataKey="middle" type="number" domain={[0, 1]} tickFormatter={percentTick} tick={tick} tickLine={false} />
            <YAxis domain={[0, 1]} tickFormatter={percentTick} tick={tick} tickLine={false} axisLine={false} />
            <Tooltip
              {...tooltipStyle}
              labelFormatter={(middle) => (typeof middle === "number" ? `confidence around ${percentTick(middle)}` : "")}
              formatter={(v, _name, item) => [
                typeof v === "number" ? `${formatPercent(v)} right of ${(item.payload as Bin).count}` : "—",
                "accuracy",
              ]}
            />
            <Bar dataKey="shown" name="accuracy" fill="#818cf8" barSize={12} isAnimationActive={false} />
            <Line dataKey="middle" name="perfect calibration" stroke="#64748b" strokeDasharray="4 3" dot={false} isAnimationActive={false} />
          </ComposedChart>
        </ResponsiveContainer>
      </div>
      <table className="sr-only">
        <caption>Reliability diagram</caption>
        <thead>
          <tr>
            <th>confidence</th>
            <th>galaxies</th>
            <th>mean confidence</th>
            <th>accuracy</th>
          </tr>
        </thead>
        <tbody>
          {bins.map((b) => (
            <tr key={b.lower} data-lower={b.lower} data-upper={b.upper}>
              <td>
                {percentTick(b.lower)}–{percentTick(b.upper)}
              </td>
              <td data-key="count">{b.count}</td>
              <td data-key="confidence">{b.count > 0 ? formatPercent(b.confidence) : "—"}</td>
              <td data-key="accuracy">{b.count > 0 ? formatPercent(b.accuracy) : "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

/** Accuracy on the share of the test galaxies the model is surest of, from all of them down to the surest tenth. */
function CoverageCurve({ points }: { points: readonly CoveragePoint[] }) {
  const data = [...points].sort((a, b) => a.coverage - b.coverage);
  return (
    <figure data-testid="coverage-curve">
      <figcaption className="mb-1 text-xs text-slate-400">Accuracy on the galaxies the model is surest of</figcaption>
      <div className="h-56 w-full">
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
            <CartesianGrid stroke="rgb(255 255 255 / 0.06)" vertical={false} />
            <XAxis dataKey="coverage" type="number" domain={[0, 1]} tickFormatter={percentTick} tick={tick} tickLine={false} />
            <YAxis domain={["auto", 1]} tickFormatter={percentTick} tick={tick} tickLine={false} axisLine={false} />
            <Tooltip
              {...tooltipStyle}
              labelFormatter={(coverage) => (typeof coverage === "number" ? `the surest ${percentTick(coverage)} of the galaxies` : "")}
              formatter={(v, _name, item) => [
                typeof v === "number" ? `${formatPercent(v)} (confidence ≥ ${formatPercent((item.payload as CoveragePoint).minConfidence)})` : String(v),
                "accuracy",
              ]}
            />
            <Line dataKey="accuracy" stroke="#34d399" strokeWidth={2} dot={{ r: 2.5 }} isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      </div>
      <table className="sr-only">
        <caption>Accuracy by coverage</caption>
        <thead>
          <tr>
            <th>coverage</th>
            <th>galaxies</th>
            <th>lowest confidence</th>
            <th>accuracy</th>
          </tr>
        </thead>
        <tbody>
          {points.map((p) => (
            <tr key={p.coverage} data-coverage={p.coverage}>
              <td>{percentTick(p.coverage)}</td>
              <td data-key="count">{p.count}</td>
              <td data-key="minConfidence">{formatPercent(p.minConfidence)}</td>
              <td data-key="accuracy">{formatPercent(p.accuracy)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
