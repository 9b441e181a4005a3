import { DataTable } from "@hiwl/ui";
import type { RouterOutputs } from "~/trpc/types.ts";
import { formatDate, formatPercent } from "./format.ts";

export type Model = RouterOutputs["training"]["models"][number];

const MODEL_COLUMNS = [
  { label: "Version" },
  { label: "Created" },
  { label: "Accuracy", numeric: true },
  { label: "Macro F1", numeric: true },
  { label: "Test galaxies", numeric: true },
  { label: "Details", hidden: true },
];

const percent = (value: number | undefined) => (value === undefined ? "—" : formatPercent(value));

export function ModelVersions({
  models,
  selectedId,
  onSelect,
}: {
  models: readonly Model[];
  selectedId: number | null;
  onSelect: (id: number) => void;
}) {
  if (models.length === 0) return <p className="text-sm text-slate-400">No model yet: retrain to create the first one.</p>;
  return (
    <DataTable columns={MODEL_COLUMNS} data-testid="model-versions">
      {models.map((m) => (
        <tr key={m.id} data-model-version={m.version} className={`text-slate-300 ${m.id === selectedId ? "bg-indigo-400/10" : ""}`}>
          <td className="py-2 pr-3">
            <span className="font-mono text-white">{m.version}</span>
            {m.active && (
              <span className="ml-2 rounded-full border border-emerald-300/30 bg-emerald-300/10 px-2 py-0.5 text-xs text-emerald-200">
                active
              </span>
            )}
            {/* Why a version is not the one serving: the activation policy's words. */}
            {!m.active && m.metrics.activation && (
              <div className="mt-0.5 text-xs text-slate-500" data-testid="activation">
                {m.metrics.activation.failed
                  ? `not activated: ${m.metrics.activation.failed}`
                  : m.metrics.activation.activate
                    ? `was activated: ${m.metrics.activation.reason}`
                    : `kept inactive: ${m.metrics.activation.reason}`}
              </div>
            )}
          </td>
          <td className="py-2 pr-3 whitespace-nowrap text-slate-400">{formatDate(m.createdAt)}</td>
          <td className="py-2 pr-3 text-right font-semibold text-white tabular-nums">{percent(m.metrics.accuracy)}</td>
          <td className="py-2 pr-3 text-right tabular-nums">{percent(m.metrics.macroF1)}</td>
          <td className="py-2 pr-3 text-right tabular-nums">{m.metrics.count ?? "—"}</td>
          <td className="py-2 text-right">
            <button
              type="button"
              onClick={() => onSelect(m.id)}
              aria-pressed={m.id === selectedId}
              aria-label={`Inspect ${m.version}`}
              className="rounded-lg border border-white/10 px-2.5 py-1 text-xs text-slate-300 hover:text-white aria-pressed:border-indigo-300/60 aria-pressed:text-white"
            >
              Inspect
            </button>
          </td>
        </tr>
      ))}
    </DataTable>
  );
}
