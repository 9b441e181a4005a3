"use client";

import { CLASS_LABELS, HIWL_CLASSES, type HiwlClass } from "@hiwl/model";
import { useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis, ZAxis } from "recharts";
import { galaxyImageUrl } from "~/lib/urls.ts";
import { useTRPC } from "~/trpc/react.tsx";
import type { RouterOutputs } from "~/trpc/types.ts";
import { CLASS_COLORS } from "./class-colors.ts";

type Point = RouterOutputs["training"]["featureMap"][number];
type ColorBy = "consensus" | "predicted";
/** What a point is coloured by: a class, "none" (votes, no class), or "unknown" (no votes / no prediction). */
type Group = HiwlClass | "none" | "unknown";

const GROUPS: readonly Group[] = [...HIWL_CLASSES, "none", "unknown"];
const COLORS: Record<Group, string> = { ...CLASS_COLORS, unknown: "#334155" };

const groupLabel = (g: Group, by: ColorBy) =>
  g === "none" ? "No clear class" : g === "unknown" ? (by === "consensus" ? "Not classified yet" : "No prediction") : CLASS_LABELS[g];

const groupOf = (p: Point, by: ColorBy): Group => (by === "consensus" ? p.consensus : p.predicted) ?? "unknown";

/**
 * The UMAP of a model version's pooled backbone features: galaxies the network sees alike lie
 * together, so clusters of another colour show where it and the volunteers disagree.
 */
export function FeatureMap({ modelVersionId, points }: { modelVersionId: number; points: number }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [colorBy, setColorBy] = useState<ColorBy>("consensus");
  const map = useQuery({ ...trpc.training.featureMap.queryOptions({ modelVersionId }), enabled: points > 0, staleTime: 0 });

  if (points === 0) {
    return (
      <p className="text-sm text-slate-400">
        No feature map for this version yet: the trainer draws one after scoring (<code>hiwl watch</code> after each new model,{" "}
        <code>hiwl predict</code> on the database).
      </p>
    );
  }
  if (!map.data) return <div className="h-96" />;
  const groups = GROUPS.map((g) => [g, map.data.filter((p) => groupOf(p, colorBy) === g)] as const).filter(
    ([, members]) => members.length > 0,
  );
  return (
    <div data-testid="feature-map" data-color-by={colorBy}>
      <div className="mb-3 flex flex-wrap items-center justify-between gap-3">
        <p className="text-xs text-slate-400">
          {map.data.length} galaxies. Hover a point for the galaxy, click it to open its page.
        </p>
        <div className="flex gap-1 text-xs" role="group" aria-label="Colour by">
          {(["consensus", "predicted"] as const).map((by) => (
            <button
              key={by}
              type="button"
              aria-pressed={colorBy === by}
              onClick={() => setColorBy(by)}
              className="rounded-full border border-white/10 px-3 py-1 text-slate-400 hover:text-white aria-pressed:border-indigo-300/60 aria-pressed:bg-indigo-400/15 aria-pressed:text-white"
            >
              {by === "consensus" ? "Volunteers' consensus" : "Model prediction"}
            </button>
          ))}
        </div>
      </div>
      <div className="h-96 w-full">
        <ResponsiveContainer width="100%" height="100%">
          <ScatterChart margin={{ top: 8, right: 8, bottom: 8, left: 8 }}>
            {/* UMAP's axes have no meaning of their own: only distances do. */}
            <XAxis type="number" dataKey="x" domain={["dataMin", "dataMax"]} hide />
            <YAxis type="number" dataKey="y" domain={["dataMin", "dataMax"]} hide />
            <ZAxis range={[28, 28]} />
            <Tooltip content={<PointTooltip colorBy={colorBy} />} cursor={false} isAnimationActive={false} />
            {groups.map(([group, points]) => (
              <Scatter
                key={group}
                name={groupLabel(group, colorBy)}
                data={points}
                fill={COLORS[group]}
                isAnimationActive={false}
                shape={(props: { cx?: number; cy?: number; payload?: Point }) => (
                  <circle
                    cx={props.cx}
                    cy={props.cy}
                    r={3.5}
                    fill={COLORS[group]}
                    fillOpacity={0.85}
                    className="cursor-pointer"
                    data-galaxy-id={props.payload?.galaxyId}
                    data-group={group}
                  />
                )}
                onClick={(point: { payload?: Point }) => {
                  if (point.payload) router.push(`/galaxies/${point.payload.galaxyId}`);
                }}
              />
            ))}
          </ScatterChart>
        </ResponsiveContainer>
      </div>
      <ul className="mt-2 flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-400">
        {groups.map(([group, points]) => (
          <li key={group} className="flex items-center gap-1.5">
            <span className="inline-block h-2.5 w-2.5 rounded-full" style={{ background: COLORS[group] }} />
            {groupLabel(group, colorBy)} ({points.length})
          </li>
        ))}
      </ul>
    </div>
  );
}

function PointTooltip({ colorBy, active, payload }: { colorBy: ColorBy; active?: boolean; payload?: readonly { payload?: Point }[] }) {
  const point = active ? payload?.[0]?.payload : undefined;
  if (!point) return null;
  return (
    <div
      className="w-40 overflow-hidden rounded-xl border border-white/10 bg-[#0b1024] text-xs shadow-xl"
      data-testid="feature-map-tooltip"
      data-galaxy-id={point.galaxyId}
    >
      {/* eslint-disable-next-line @next/next/no-img-element -- see GalaxyViewer */}
      <img src={galaxyImageUrl({ id: point.galaxyId, imageHash: point.imageHash })} alt={`Galaxy ${point.externalId}`} className="aspect-square w-full object-cover" />
      <div className="space-y-0.5 p-2 text-slate-300">
        <div className="truncate font-medium text-white">{point.externalId}</div>
        <div className={colorBy === "consensus" ? "text-white" : ""}>Volunteers: {groupLabel(point.consensus ?? "unknown", "consensus")}</div>
        <div className={colorBy === "predicted" ? "text-white" : ""}>Model: {groupLabel(point.predicted ?? "unknown", "predicted")}</div>
      </div>
    </div>
  );
}
