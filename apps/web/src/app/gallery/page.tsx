import { CLASS_LABELS, HIWL_CLASSES, type HiwlClass } from "@hiwl/model";
import type { Metadata } from "next";
import Link from "next/link";
import type { ReactNode } from "react";
import { galaxyImageUrl } from "~/lib/urls.ts";
import type { Consensus } from "~/server/api/routers/galaxy.ts";
import { serverApi } from "~/trpc/server.ts";

export const metadata: Metadata = { title: "Gallery" };

type Search = Record<string, string | string[] | undefined>;

const RETIREMENT = { all: undefined, active: false, retired: true } as const;
type Retirement = keyof typeof RETIREMENT;
type ConsensusFilter = HiwlClass | "none" | "all";

const CONSENSUS_FILTERS: readonly ConsensusFilter[] = ["all", ...HIWL_CLASSES, "none"];

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

function readFilters(search: Search) {
  const status = one(search.status);
  const consensus = one(search.consensus);
  const page = Number(one(search.page));
  return {
    status: (status && status in RETIREMENT ? status : "all") as Retirement,
    consensus: (CONSENSUS_FILTERS as readonly string[]).includes(consensus ?? "") ? (consensus as ConsensusFilter) : "all",
    page: Number.isSafeInteger(page) && page > 0 ? page : 1,
  };
}

type Filters = ReturnType<typeof readFilters>;

function href(filters: Filters, change: Partial<Filters>) {
  const f = { ...filters, page: 1, ...change };
  const params = new URLSearchParams();
  if (f.status !== "all") params.set("status", f.status);
  if (f.consensus !== "all") params.set("consensus", f.consensus);
  if (f.page > 1) params.set("page", String(f.page));
  const qs = params.toString();
  return qs ? `/gallery?${qs}` : "/gallery";
}

const consensusLabel = (c: Consensus | "all") =>
  c === "all" ? "Any class" : c === "none" ? "No clear class" : c === null ? "Not classified yet" : CLASS_LABELS[c];

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
  const { galaxies, total, pageSize } = await api.galaxy.list({
    retired: RETIREMENT[filters.status],
    consensus: filters.consensus === "all" ? undefined : filters.consensus,
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
        <div className="flex flex-wrap gap-2">
          {(Object.keys(RETIREMENT) as Retirement[]).map((s) => (
            <Chip key={s} to={href(filters, { status: s })} on={filters.status === s}>
              {s === "all" ? "Active and retired" : s === "active" ? "Active" : "Retired"}
            </Chip>
          ))}
        </div>
        <div className="flex flex-wrap gap-2">
          {CONSENSUS_FILTERS.map((c) => (
            <Chip key={c} to={href(filters, { consensus: c })} on={filters.consensus === c}>
              {consensusLabel(c)}
            </Chip>
          ))}
        </div>
      </div>
      {galaxies.length === 0 ? (
        <p className="text-slate-400">No galaxies match.</p>
      ) : (
        <ul className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-4">
          {galaxies.map((g) => (
            <li key={g.id}>
              <Link
                href={`/galaxies/${g.id}`}
                className="group block overflow-hidden rounded-2xl border border-white/10 bg-slate-900/60 transition hover:border-indigo-300/50"
              >
                {/* eslint-disable-next-line @next/next/no-img-element -- see GalaxyViewer */}
                <img src={galaxyImageUrl(g.id)} alt="" loading="lazy" className="aspect-square w-full object-cover transition group-hover:scale-105" />
                <div className="space-y-0.5 p-3 text-xs">
                  <div className="truncate font-medium text-slate-200">{g.externalId}</div>
                  <div className="flex items-center justify-between gap-2 text-slate-400">
                    <span className="truncate">{consensusLabel(g.consensus)}</span>
                    <span className="shrink-0 tabular-nums">
                      {g.classificationCount} {g.classificationCount === 1 ? "vote" : "votes"}
                      {g.retired && " · retired"}
                    </span>
                  </div>
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
