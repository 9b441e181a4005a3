import type { RouterOutputs } from "~/trpc/types.ts";
import { formatDate, formatMetric, numericEntries } from "./format.ts";

type Model = RouterOutputs["training"]["models"][number];

export function ModelVersions({ models }: { models: readonly Model[] }) {
  if (models.length === 0) return <p className="text-sm text-slate-400">No model yet: retrain to create the first one.</p>;
  return (
    <div className="-mx-4 overflow-x-auto px-4">
      <table className="w-full min-w-[32rem] text-left text-sm">
        <thead className="text-xs tracking-wide text-slate-400 uppercase">
          <tr>
            <th className="py-2 pr-3 font-medium">Version</th>
            <th className="py-2 pr-3 font-medium">Created</th>
            <th className="py-2 pr-3 text-right font-medium">Accuracy</th>
            <th className="py-2 font-medium">Other metrics</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-white/5">
          {models.map((m) => {
            const { accuracy } = m.metrics;
            const others = numericEntries(m.metrics).filter(([k]) => k !== "accuracy");
            return (
              <tr key={m.id} className="text-slate-300">
                <td className="py-2 pr-3">
                  <span className="font-mono text-white">{m.version}</span>
                  {m.active && (
                    <span className="ml-2 rounded-full border border-emerald-300/30 bg-emerald-300/10 px-2 py-0.5 text-xs text-emerald-200">
                      active
                    </span>
                  )}
                </td>
                <td className="py-2 pr-3 whitespace-nowrap text-slate-400">{formatDate(m.createdAt)}</td>
                <td className="py-2 pr-3 text-right font-semibold text-white tabular-nums">
                  {typeof accuracy === "number" ? formatMetric(accuracy) : "—"}
                </td>
                <td className="py-2 text-xs text-slate-400">{others.map(([k, v]) => `${k} ${formatMetric(v)}`).join(" · ") || "—"}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
