"use client";

import { CLASS_LABELS, HIWL_CLASSES } from "@hiwl/model";
import { Card, ProbabilityBars, Stat } from "@hiwl/ui";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { useTRPC } from "~/trpc/react.tsx";
import { SignOutButton } from "../sign-out-button.tsx";
import { ClassificationsChart } from "./classifications-chart.tsx";
import { FeatureMap } from "./feature-map.tsx";
import { ModelDetail } from "./model-detail.tsx";
import { ModelVersions } from "./model-versions.tsx";
import { TrainingJobs } from "./training-jobs.tsx";

const POLL_MS = 3000;

export function Dashboard() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const perDay = useQuery(trpc.classification.perDay.queryOptions({ days: 30 }));
  const galaxies = useQuery(trpc.galaxy.stats.queryOptions());
  const volunteers = useQuery(trpc.volunteer.count.queryOptions());
  const exports = useQuery(trpc.export.sizes.queryOptions());
  const models = useQuery({ ...trpc.training.models.queryOptions(), refetchInterval: POLL_MS });
  const jobs = useQuery({ ...trpc.training.jobs.queryOptions(), refetchInterval: POLL_MS });
  const retrain = useMutation(
    trpc.training.retrain.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.training.jobs.queryKey() }),
    }),
  );

  const [picked, setPicked] = useState<number | null>(null);
  // Until the researcher picks one, the model the site serves.
  const inspected = models.data?.find((m) => m.id === picked) ?? models.data?.find((m) => m.active) ?? models.data?.[0];

  const last30 = perDay.data?.reduce((sum, d) => sum + d.count, 0);
  const balance = galaxies.data;

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-center justify-between gap-4">
        <div>
          <h1 className="text-2xl font-semibold text-white">Dashboard</h1>
          <p className="text-sm text-slate-400">The crowd, the catalogue and the model at a glance.</p>
        </div>
        <div className="flex flex-wrap items-center gap-3">
          {retrain.data && (
            <span className="text-sm text-slate-300" role="status">
              {retrain.data.alreadyQueued ? `Job #${retrain.data.jobId} is already queued.` : `Job #${retrain.data.jobId} queued.`}
            </span>
          )}
          {retrain.isError && <span className="text-sm text-rose-300">{retrain.error.message}</span>}
          <span className="text-sm">
            <SignOutButton everywhere />
          </span>
          <button
            type="button"
            onClick={() => retrain.mutate()}
            disabled={retrain.isPending}
            className="rounded-xl bg-gradient-to-r from-indigo-500 to-cyan-500 px-5 py-2.5 font-semibold text-white shadow-lg shadow-indigo-900/40 hover:from-indigo-400 hover:to-cyan-400 disabled:opacity-60"
          >
            {retrain.isPending ? "Queuing…" : "Retrain now"}
          </button>
        </div>
      </div>

      <div className="grid grid-cols-2 gap-3 lg:grid-cols-4">
        <Stat label="Classifications" value={last30 ?? "…"} hint="last 30 days" />
        <Stat
          label="Volunteers"
          value={volunteers.data?.classifying ?? "…"}
          hint={volunteers.data && `classified at least once, of ${volunteers.data.total} visitors`}
        />
        <Stat label="Active galaxies" value={balance?.active ?? "…"} hint="in the queue" />
        <Stat label="Retired galaxies" value={balance?.retired ?? "…"} hint={balance && `of ${balance.total} in the catalogue`} />
      </div>

      <div className="grid gap-6 lg:grid-cols-3">
        <Card title="Classifications per day" className="lg:col-span-2">
          {perDay.data ? <ClassificationsChart data={perDay.data} /> : <div className="h-56 sm:h-64" />}
        </Card>
        <Card title="Consensus class balance">
          {balance && (
            <>
              <p className="mb-3 text-xs text-slate-400">
                {balance.classified} classified galaxies, by the class their votes select.
              </p>
              <ProbabilityBars
                highlight={mostCommon(balance.balance)}
                items={[
                  ...HIWL_CLASSES.map((c) => ({ id: c, label: `${CLASS_LABELS[c]} (${balance.balance[c]})`, value: share(balance.balance[c], balance.classified) })),
                  { id: "none", label: `No clear class (${balance.balance.none})`, value: share(balance.balance.none, balance.classified) },
                ]}
              />
            </>
          )}
        </Card>
      </div>

      <Card title="Training jobs" action={<span className="text-xs text-slate-500">updates every {POLL_MS / 1000} s</span>}>
        {jobs.data ? <TrainingJobs jobs={jobs.data} /> : <p className="text-sm text-slate-400">Loading…</p>}
      </Card>

      <div className="grid gap-6 lg:grid-cols-3">
        <Card title="Model versions" className="lg:col-span-2">
          {models.data ? (
            <ModelVersions models={models.data} selectedId={inspected?.id ?? null} onSelect={setPicked} />
          ) : (
            <p className="text-sm text-slate-400">Loading…</p>
          )}
        </Card>
        <Card title="Export">
          <ul className="space-y-4 text-sm">
            <ExportLink href="/api/export/votes.csv" rows={exports.data?.votes}>
              Kaggle format: GalaxyID (the galaxy&apos;s id in its catalogue) and the 37 cumulative vote fractions of every
              classified galaxy, then its source; <code>?source=kaggle</code> gives exactly Kaggle&apos;s layout.
            </ExportLink>
            <ExportLink href="/api/export/predictions.csv" rows={exports.data?.predictions}>
              The active model&apos;s five class probabilities for each galaxy it scored, by GalaxyID and source, with the
              model version.
            </ExportLink>
          </ul>
        </Card>
      </div>

      {inspected && (
        <>
          <Card title={`Model ${inspected.version}`}>
            <ModelDetail model={inspected} />
          </Card>
          <Card title="Feature map" action={<span className="text-xs text-slate-500">UMAP of the pooled backbone features</span>}>
            {/* A new map of the version (the models poll sees its size change) remounts it, which refetches it. */}
            <FeatureMap
              key={`${inspected.id}:${inspected.featureMapPoints}`}
              modelVersionId={inspected.id}
              points={inspected.featureMapPoints}
            />
          </Card>
        </>
      )}
    </div>
  );
}

const mostCommon = (counts: Record<string, number>) =>
  Object.entries(counts).reduce<[string | null, number]>((best, e) => (e[1] > best[1] ? e : best), [null, 0])[0];

const share = (n: number, total: number) => (total > 0 ? n / total : 0);

function ExportLink({ href, rows, children }: { href: string; rows: number | undefined; children: ReactNode }) {
  return (
    <li>
      <div className="flex items-baseline justify-between gap-3">
        <a href={href} className="font-medium text-indigo-300 hover:underline">
          {href.split("/").at(-1)}
        </a>
        {rows !== undefined && <span className="text-xs text-slate-500 tabular-nums">{rows} rows</span>}
      </div>
      <p className="mt-0.5 text-xs text-slate-400">{children}</p>
    </li>
  );
}
