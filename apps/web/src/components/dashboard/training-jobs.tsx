"use client";

import { DataTable } from "@hiwl/ui";
import type { RouterOutputs } from "~/trpc/types.ts";
import { formatDate, formatMetric, numericEntries } from "./format.ts";

type Job = RouterOutputs["training"]["jobs"][number];

const STATUS_STYLE: Record<string, string> = {
  queued: "border-amber-300/30 bg-amber-300/10 text-amber-200",
  running: "border-indigo-300/40 bg-indigo-400/15 text-indigo-200 animate-pulse",
  succeeded: "border-emerald-300/30 bg-emerald-300/10 text-emerald-200",
  failed: "border-rose-300/30 bg-rose-300/10 text-rose-200",
};

function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`inline-block rounded-full border px-2 py-0.5 text-xs font-medium ${STATUS_STYLE[status] ?? "border-white/15 text-slate-300"}`}>
      {status}
    </span>
  );
}

function Progress({ status, progress }: { status: string; progress: Record<string, unknown> }) {
  const { epoch, epochs, phase } = progress;
  const numbers = numericEntries(progress).filter(([k]) => k !== "epoch" && k !== "epochs");
  if (status === "queued") return <span className="text-xs text-slate-500">waiting for a trainer</span>;
  return (
    <div className="min-w-40 space-y-1">
      {/* After training, the phases (scoring, feature map, ...) are the only sign of progress. */}
      {typeof phase === "string" && status === "running" && <div className="text-xs text-indigo-200">{phase}</div>}
      {typeof epoch === "number" && typeof epochs === "number" && epochs > 0 && (
        <>
          <div className="text-xs text-slate-400">
            epoch {epoch}/{epochs}
          </div>
          <div className="h-1.5 overflow-hidden rounded-full bg-white/10">
            <div className="h-full bg-gradient-to-r from-indigo-400 to-cyan-300" style={{ width: `${Math.min(1, epoch / epochs) * 100}%` }} />
          </div>
        </>
      )}
      {numbers.length > 0 && (
        <div className="text-xs text-slate-500">{numbers.map(([k, v]) => `${k} ${formatMetric(v)}`).join(" · ")}</div>
      )}
    </div>
  );
}

const JOB_COLUMNS = [{ label: "Job" }, { label: "Status" }, { label: "Progress" }, { label: "Queued" }, { label: "Result" }];

export function TrainingJobs({ jobs }: { jobs: readonly Job[] }) {
  if (jobs.length === 0) return <p className="text-sm text-slate-400">No training jobs yet.</p>;
  return (
    <DataTable columns={JOB_COLUMNS} data-testid="training-jobs">
      {jobs.map((j) => (
        <tr key={j.id} data-job-id={j.id} className="align-top text-slate-300">
          <td className="py-2 pr-3">
            <div className="font-medium text-white">#{j.id}</div>
            {j.reason && <div className="text-xs text-slate-500">{j.reason}</div>}
          </td>
          <td className="py-2 pr-3">
            <StatusBadge status={j.status} />
          </td>
          <td className="py-2 pr-3">
            <Progress status={j.status} progress={j.progress} />
          </td>
          <td className="py-2 pr-3 whitespace-nowrap text-slate-400">{formatDate(j.createdAt)}</td>
          <td className="py-2 text-xs">
            {j.error ? (
              <span className="text-rose-300">{j.error}</span>
            ) : j.modelVersion ? (
              <span>model {j.modelVersion.version}</span>
            ) : (
              <span className="text-slate-500">—</span>
            )}
          </td>
        </tr>
      ))}
    </DataTable>
  );
}
