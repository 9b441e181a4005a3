"use client";

import { CLASS_LABELS, type HiwlClass } from "@hiwl/model";
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { CalibrationDetail } from "./calibration.tsx";
import { formatPercent } from "./format.ts";
import type { Model } from "./model-versions.tsx";

type Metrics = Model["metrics"];
type Epoch = NonNullable<Metrics["curves"]>[string][number];

/** Class names as the trainer stores them: the HIWL ones get their labels, others (coarse models) stay as they are. */
const classLabel = (cls: string) => CLASS_LABELS[cls as HiwlClass] ?? cls;

const LEVEL_LABELS: Record<string, string> = {
  flat: "Flat network (5 classes)",
  level1: "Level 1 (cigar and edge-on merged)",
  level2: "Level 2 (cigar / edge-on)",
};

/** Per-class scores, the confusion matrix, calibration and the learning curves of one model version. */
export function ModelDetail({ model }: { model: Model }) {
  const { classes, perClass, confusion, calibration, curves = {} } = model.metrics;
  const levels = Object.entries(curves).filter(([, epochs]) => epochs.length > 0);
  return (
    <div className="space-y-6" data-testid="model-detail" data-model-version={model.version}>
      <div className="grid gap-6 lg:grid-cols-2">
        <section>
          <h3 className="mb-2 text-xs font-medium tracking-wide text-slate-400 uppercase">Test scores per class</h3>
          {classes && perClass ? <ClassScores classes={classes} perClass={perClass} /> : <Missing what="per-class scores" />}
        </section>
        <section>
          <h3 className="mb-2 text-xs font-medium tracking-wide text-slate-400 uppercase">Confusion matrix</h3>
          {classes && confusion ? <ConfusionMatrix classes={classes} confusion={confusion} /> : <Missing what="confusion matrix" />}
        </section>
      </div>
      <section>
        <h3 className="mb-2 text-xs font-medium tracking-wide text-slate-400 uppercase">Calibration</h3>
        {calibration ? <CalibrationDetail calibration={calibration} /> : <Missing what="calibration" />}
      </section>
      <section>
        <h3 className="mb-2 text-xs font-medium tracking-wide text-slate-400 uppercase">Learning curves</h3>
        {levels.length > 0 ? (
          <div className="grid gap-6 lg:grid-cols-2">
            {levels.map(([level, epochs]) => (
              <LearningCurve key={level} level={level} epochs={epochs} />
            ))}
          </div>
        ) : (
          <Missing what="learning curves" />
        )}
      </section>
    </div>
  );
}

function Missing({ what }: { what: string }) {
  return <p className="text-sm text-slate-500">This version has no recorded {what}.</p>;
}

function ClassScores({ classes, perClass }: { classes: readonly string[]; perClass: NonNullable<Metrics["perClass"]> }) {
  return (
    <table className="w-full text-left text-sm" data-testid="class-scores">
      <thead className="text-xs text-slate-400">
        <tr>
          <th className="py-1.5 pr-3 font-medium">Class</th>
          <th className="py-1.5 pr-3 text-right font-medium">Precision</th>
          <th className="py-1.5 pr-3 text-right font-medium">Recall</th>
          <th className="py-1.5 pr-3 text-right font-medium">F1</th>
          <th className="py-1.5 text-right font-medium">Support</th>
        </tr>
      </thead>
      <tbody className="divide-y divide-white/5 text-slate-300 tabular-nums">
        {classes.map((cls) => {
          const s = perClass[cls]!;
          return (
            <tr key={cls} data-class={cls}>
              <td className="py-1.5 pr-3 text-slate-200">{classLabel(cls)}</td>
              <td className="py-1.5 pr-3 text-right">{formatPercent(s.precision)}</td>
              <td className="py-1.5 pr-3 text-right">{formatPercent(s.recall)}</td>
              <td className="py-1.5 pr-3 text-right font-semibold text-white">{formatPercent(s.f1)}</td>
              <td className="py-1.5 text-right text-slate-400">{s.support}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/**
 * Counts with each cell shaded by its share of the row (the true class), so the diagonal reads
 * as recall and a dark diagonal cell stands out whatever the class sizes.
 */
function ConfusionMatrix({ classes, confusion }: { classes: readonly string[]; confusion: readonly (readonly number[])[] }) {
  return (
    <div className="overflow-x-auto">
      <table className="text-center text-xs tabular-nums" data-testid="confusion-matrix">
        <thead>
          <tr>
            <th className="p-1 text-right text-[10px] font-normal text-slate-500">true ↓ / predicted →</th>
            {classes.map((c) => (
              <th key={c} scope="col" className="p-1 font-medium text-slate-400">
                {classLabel(c)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {confusion.map((row, t) => {
            const total = row.reduce((a, b) => a + b, 0);
            return (
              <tr key={classes[t]}>
                <th scope="row" className="p-1 pr-2 text-right font-medium text-slate-400">
                  {classLabel(classes[t]!)}
                </th>
                {row.map((n, p) => {
                  const share = total > 0 ? n / total : 0;
                  return (
                    <td
                      key={classes[p]}
                      data-true={classes[t]}
                      data-predicted={classes[p]}
                      title={`${n} of ${total} ${classLabel(classes[t]!)} galaxies predicted ${classLabel(classes[p]!)}`}
                      className={`h-10 min-w-12 rounded-md border border-white/5 ${t === p ? "font-semibold" : ""} ${share > 0.5 ? "text-white" : "text-slate-300"}`}
                      style={{ background: `rgb(99 102 241 / ${(0.05 + 0.85 * share).toFixed(3)})` }}
                    >
                      {n}
                    </td>
                  );
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

const LINES = [
  { key: "trainLoss", name: "train loss", color: "#818cf8", axis: "loss", dash: undefined },
  { key: "valLoss", name: "validation loss", color: "#818cf8", axis: "loss", dash: "4 3" },
  { key: "trainAccuracy", name: "train accuracy", color: "#34d399", axis: "accuracy", dash: undefined },
  { key: "valAccuracy", name: "validation accuracy", color: "#34d399", axis: "accuracy", dash: "4 3" },
] as const satisfies readonly { key: keyof Epoch; name: string; color: string; axis: string; dash: string | undefined }[];

const tick = { fill: "#94a3b8", fontSize: 11 };
const value = (v: number | null) => (v === null ? "—" : v.toFixed(4));

/** Loss (left axis) and accuracy (right axis) per epoch of one network, with the numbers as a table for screen readers. */
function LearningCurve({ level, epochs }: { level: string; epochs: readonly Epoch[] }) {
  return (
    <figure data-testid="learning-curve" data-level={level}>
      <figcaption className="mb-1 text-xs text-slate-400">{LEVEL_LABELS[level] ?? level}</figcaption>
      <div className="h-56 w-full">
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={[...epochs]} margin={{ top: 8, right: 0, bottom: 0, left: -16 }}>
            <CartesianGrid stroke="rgb(255 255 255 / 0.06)" vertical={false} />
            <XAxis dataKey="epoch" tick={tick} tickLine={false} axisLine={{ stroke: "rgb(255 255 255 / 0.1)" }} allowDecimals={false} />
            <YAxis yAxisId="loss" tick={tick} tickLine={false} axisLine={false} />
            <YAxis yAxisId="accuracy" orientation="right" domain={[0, 1]} tick={tick} tickLine={false} axisLine={false} />
            <Tooltip
              contentStyle={{ background: "#0b1024", border: "1px solid rgb(255 255 255 / 0.1)", borderRadius: 12 }}
              labelStyle={{ color: "#e2e8f0" }}
              labelFormatter={(epoch) => (typeof epoch === "number" ? `epoch ${epoch}` : epoch)}
              formatter={(v) => (typeof v === "number" ? v.toFixed(4) : String(v))}
            />
            <Legend wrapperStyle={{ fontSize: 11 }} />
            {LINES.map((l) => (
              <Line
                key={l.key}
                yAxisId={l.axis}
                dataKey={l.key}
                name={l.name}
                stroke={l.color}
                strokeDasharray={l.dash}
                strokeWidth={2}
                dot={{ r: 2.5 }}
                isAnimationActive={false}
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </div>
      <table className="sr-only">
        <caption>{LEVEL_LABELS[level] ?? level} per epoch</caption>
        <thead>
          <tr>
            <th>epoch</th>
            {LINES.map((l) => (
              <th key={l.key}>{l.name}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {epochs.map((e) => (
            <tr key={e.epoch} data-epoch={e.epoch}>
              <td>{e.epoch}</td>
              {LINES.map((l) => (
                <td key={l.key} data-key={l.key}>
                  {value(e[l.key])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
