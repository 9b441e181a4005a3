import { GALLERY_SORTS, type Consensus, type GallerySort } from "@hiwl/db";
import { CLASS_LABELS, HIWL_CLASSES, type HiwlClass } from "@hiwl/model";
import type { Metadata } from "next";
import Link from "next/link";
import type { ReactNode } from "react";
import { galaxyImageUrl } from "~/lib/urls.ts";
import { serverApi } from "~/trpc/server.ts";

export const metadata: Metadata = { title: "Gallery" };

type Search = Record<string, string | string[] | undefined>;

const RETIREMENT = { all: undefined, active: false, retired: true } as const;
type Retirement = keyof typeof RETIREMENT;
type ConsensusFilter = HiwlClass | "none" | "all";

type PredictedFilter = HiwlClass | "all";

const CONSENSUS_FILTERS: readonly ConsensusFilter[] = ["all", ...HIWL_CLASSES, "none"];
const PREDICTED_FILTERS: readonly PredictedFilter[] = ["all", ...HIWL_CLASSES];

/** Bands of the active model's uncertainty (normalised entropy, 0 to 1) a researcher can pick. */
const UNCERTAINTY = {
  all: { label: "Any uncertainty", range: undefined },
  low: { label: "Confident (below 0.25)", range: { max: 0.25 } },
  medium: { label: "Unsure (0.25 to 0.5)", range: { min: 0.25, max: 0.5 } },
  high: { label: "Uncertain (0.5 and above)", range: { min: 0.5 } },
} as const;
type Uncertainty = keyof typeof UNCERTAINTY;

const SORT_LABELS: Record<GallerySort, string> = {
  newest: "Newest first",
  "most-uncertain": "Most uncertain first",
  "least-uncertain": "Most confident first",
};

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
const pick = <T extends string>(value: string | undefined, allowed: readonly T[], fallback: T): T =>
  (allowed as readonly string[]).includes(value ?? "") ? (value as T) : fallback;

function readFilters(search: Search) {
  const page = Number(one(search.page));
  return {
    status: pick(one(search.status), Object.keys(RETIREMENT) as Retirement[], "all"),
    consensus: pick(one(search.consensus), CONSENSUS_FILTERS, "all"),
    predicted: pick(one(search.predicted), PREDICTED_FILTERS, "all"),
    uncertainty: pick(one(search.uncertainty), Object.keys(UNCERTAINTY) as Uncertainty[], "all"),
    sort: pick(one(search.sort), GALLERY_SORTS, "newest"),
    page: Number.isSafeInteger(page) && page > 0 ? page : 1,
  };
}

type Filters = ReturnType<typeof readFilters>;

const DEFAULTS: Omit<Filters, "page"> = { status: "all", consensus: "all", predicted: "all", uncertainty: "all", sort: "newest" };

function href(filters: Filters, change: Partial<Filters>) {
  const f = { ...filters, page: 1, ...change };
  const params = new URLSearchParams();
  for (const key of Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[]) {
    if (f[key] !== DEFAULTS[key]) params.set(key, f[key]);
  }
  if (f.page > 1) params.set("page", String(f.page));
  const qs = params.toString();
  return qs ? `/gallery?${qs}` : "/gallery";
}

const consensusLabel = (c: Consensus | "all") =>
  c === "all" ? "Any class" : c === "none" ? "No clear class" : c === null ? "Not classified yet" : CLASS_LABELS[c];

function FilterRow({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="flex flex-wrap items-center gap-2">
      <span className="w-24 shrink-0 text-xs text-slate-500">{label}</span>
      {children}
    </div>
  );
}

function Chip({ to, on, children }: { to: string; on: boolean; children: ReactNode }) {
  return (
    <Link
      href={to}
      aria-current={on ? "true" : undefined}
      className={`rounded-full border px-3 py-1 text-xs whitespace-nowrap transition ${on ? "border-indigo-300/60 bg-indigo-400/15 text-white" : "border-white/10 text-slate-400 hover:text-white"}`}
    >
      {children}
    </Link>
  );
}

export default async function GalleryPage({ searchParams }: { searchParams: Promise<Search> }) {
  const filters = readFilters(await searchParams);
  const api = await serverApi();
  const { galaxies, total, pageSize, retiredOnly } = await api.galaxy.list({
    retired: RETIREMENT[filters.status],
    consensus: filters.consensus === "all" ? undefined : filters.consensus,
    predicted: filters.predicted === "all" ? undefined : filters.predicted,
    uncertainty: UNCERTAINTY[filters.uncertainty].range,
    sort: filters.sort,
    page: filters.page,
  });
  const pages = Math.max(1, Math.ceil(total / pageSize));
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h1 className="text-2xl font-semibold text-white">Gallery</h1>
        <p className="text-sm text-slate-400">{total} galaxies</p>
      </div>
      <div className="space-y-2">
        <FilterRow label="Status">
          {(Object.keys(RETIREMENT) as Retirement[]).map((s) => (
            <Chip key={s} to={href(filters, { status: s })} on={filters.status === s}>
              {s === "all" ? "Active and retired" : s === "active" ? "Active" : "Retired"}
            </Chip>
          ))}
        </FilterRow>
        <FilterRow label="Volunteers">
          {CONSENSUS_FILTERS.map((c) => (
            <Chip key={c} to={href(filters, { consensus: c })} on={filters.consensus === c}>
              {consensusLabel(c)}
            </Chip>
          ))}
        </FilterRow>
        <FilterRow label="Model">
          {PREDICTED_FILTERS.map((c) => (
            <Chip key={c} to={href(filters, { predicted: c })} on={filters.predicted === c}>
              {c === "all" ? "Any prediction" : `Predicted ${CLASS_LABELS[c].toLowerCase()}`}
            </Chip>
          ))}
        </FilterRow>
        <FilterRow label="Uncertainty">
          {(Object.keys(UNCERTAINTY) as Uncertainty[]).map((u) => (
            <Chip key={u} to={href(filters, { uncertainty: u })} on={filters.uncertainty === u}>
              {UNCERTAINTY[u].label}
            </Chip>
          ))}
        </FilterRow>
        <FilterRow label="Order">
          {GALLERY_SORTS.map((s) => (
            <Chip key={s} to={href(filters, { sort: s })} on={filters.sort === s}>
              {SORT_LABELS[s]}
            </Chip>
          ))}
        </FilterRow>
        <p className="text-xs text-slate-500">
          Model filters use the active model&apos;s predictions; uncertainty is the entropy of its five probabilities, from 0
          (certain) to 1 (no idea).
          {retiredOnly &&
            " Filters and orders by class or uncertainty show retired galaxies only: on galaxies still being classified they would give the answers away."}
        </p>
      </div>
      {galaxies.length === 0 ? (
        <p className="text-slate-400">No galaxies match.</p>
      ) : (
        <ul className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-4">
          {galaxies.map((g) => (
            <li key={g.id} data-galaxy-id={g.id} data-predicted={g.predicted?.predictedClass ?? undefined}>
              <Link
                href={`/galaxies/${g.id}`}
                className="group block overflow-hidden rounded-2xl border border-white/10 bg-slate-900/60 transition hover:border-indigo-300/50"
              >
                {/* eslint-disable-next-line @next/next/no-img-element -- see GalaxyViewer */}
                <img src={galaxyImageUrl(g)} alt="" loading="lazy" className="aspect-square w-full object-cover transition group-hover:scale-105" />
                <div className="space-y-0.5 p-3 text-xs">
                  <div className="truncate font-medium text-slate-200">{g.externalId ?? `Galaxy ${g.id}`}</div>
                  <div className="flex items-center justify-between gap-2 text-slate-400">
                    <span className="truncate">{g.revealed ? consensusLabel(g.consensus) : "Still being classified"}</span>
                    <span className="shrink-0 tabular-nums">
                      {g.classificationCount} {g.classificationCount === 1 ? "vote" : "votes"}
                      {g.retired && " · retired"}
                    </span>
                  </div>
                  {g.predicted?.predictedClass && (
                    <div className="flex items-center justify-between gap-2 text-slate-500">
                      <span className="truncate">Model: {CLASS_LABELS[g.predicted.predictedClass]}</span>
                      <span className="shrink-0 tabular-nums" title="uncertainty (normalised entropy)">
                        {g.predicted.uncertainty.toFixed(2)}
                      </span>
                    </div>
                  )}
                </div>
              </Link>
            </li>
          ))}
        </ul>
      )}
      {pages > 1 && (
        <nav className="flex items-center justify-center gap-4 text-sm">
          {filters.page > 1 && (
            <Link href={href(filters, { page: filters.page - 1 })} className="text-indigo-300 hover:underline">
              ← Previous
            </Link>
          )}
          <span className="text-slate-400">
            Page {filters.page} of {pages}
          </span>
          {filters.page < pages && (
            <Link href={href(filters, { page: filters.page + 1 })} className="text-indigo-300 hover:underline">
              Next →
            </Link>
          )}
        </nav>
      )}
    </div>
  );
}
