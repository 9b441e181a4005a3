"use client";

import { Card } from "@hiwl/ui";
import { useInfiniteQuery } from "@tanstack/react-query";
import Link from "next/link";
import { galaxyImageUrl } from "~/lib/urls.ts";
import { useTRPC } from "~/trpc/react.tsx";
import { AnswerChips } from "./answer-chips.tsx";

const when = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function HistoryList() {
  const trpc = useTRPC();
  const history = useInfiniteQuery(
    trpc.classification.history.infiniteQueryOptions({}, { getNextPageParam: (page) => page.nextCursor }),
  );
  if (history.isPending) return <p className="text-slate-400">Loading…</p>;
  if (history.isError) return <p className="text-rose-300">{history.error.message}</p>;
  const items = history.data.pages.flatMap((p) => p.items);
  if (items.length === 0) {
    return (
      <Card className="text-slate-300">
        Nothing yet.{" "}
        <Link href="/classify" className="text-indigo-300 underline">
          Classify your first galaxy
        </Link>
        .
      </Card>
    );
  }
  return (
    <div className="space-y-4">
      <ul className="space-y-3" data-testid="history">
        {items.map((c) => (
          <li key={c.id} className="flex gap-3 rounded-2xl border border-white/10 bg-slate-900/60 p-3 sm:gap-4">
            <Link href={`/galaxies/${c.galaxyId}`} className="shrink-0">
              {/* eslint-disable-next-line @next/next/no-img-element -- see GalaxyViewer */}
              <img src={galaxyImageUrl({ id: c.galaxyId, imageHash: c.imageHash })} alt="" loading="lazy" className="h-20 w-20 rounded-xl object-cover sm:h-24 sm:w-24" />
            </Link>
            <div className="min-w-0 space-y-2">
              <div className="flex flex-wrap items-baseline gap-x-3 text-sm">
                <Link href={`/galaxies/${c.galaxyId}`} className="font-medium text-white hover:underline">
                  Galaxy {c.galaxyId}
                </Link>
                <time className="text-xs text-slate-500" dateTime={c.finishedAt.toISOString()}>
                  {when.format(c.finishedAt)} · {Math.max(1, Math.round((c.finishedAt.getTime() - c.startedAt.getTime()) / 1000))} s
                </time>
              </div>
              <AnswerChips answers={c.answers} />
            </div>
          </li>
        ))}
      </ul>
      {history.hasNextPage && (
        <button
          type="button"
          onClick={() => void history.fetchNextPage()}
          disabled={history.isFetchingNextPage}
          className="rounded-xl border border-white/15 px-4 py-2 text-sm text-slate-200 hover:bg-white/5"
        >
          {history.isFetchingNextPage ? "Loading…" : "Show older"}
        </button>
      )}
    </div>
  );
}
