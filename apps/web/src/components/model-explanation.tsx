"use client";

import { CLASS_LABELS, HIWL_CLASSES, type HiwlClass } from "@hiwl/model";
import { Card } from "@hiwl/ui";
import { useEffect, useRef, useState } from "react";
import { drawHeatmap } from "~/lib/model/heatmap.ts";
import { useLiveModel } from "~/lib/model/use-model.ts";
import type { Explanation } from "~/lib/model/runtime.ts";

/** Canvas resolution of the heatmap; the map itself is a few cells wide and drawn smoothly. */
const HEATMAP_SIDE = 256;

const NETWORK_NAMES = { flat: "5-class", level1: "level-1 (4-class)", level2: "level-2 (cigar vs edge-on)" } as const;

const percent = (p: number) => `${(p * 100).toFixed(1)}%`;

/**
 * Where the active model looks when it calls this galaxy one class or another: Grad-CAM,
 * computed in the browser, over the part of the image the network sees (the central test
 * crop). Starts with the predicted class; the researcher can pick any other.
 */
export function ModelExplanation({ imageUrl, alt }: { imageUrl: string; alt: string }) {
  const model = useLiveModel(imageUrl);
  const ready = model.status === "ready" ? model : null;
  const [picked, setPicked] = useState<HiwlClass | null>(null);
  const cls = picked ?? ready?.predicted ?? null;
  const canvas = useRef<HTMLCanvasElement>(null);
  const [result, setResult] = useState<{ explanation: Explanation } | { error: string }>();

  const runtime = ready?.runtime;
  const classifier = ready?.classifier;
  const image = ready?.image;
  useEffect(() => {
    if (!runtime || !classifier || !image || !cls) return;
    let cancelled = false;
    runtime
      .explain(classifier, image, cls, HEATMAP_SIDE)
      .then((explanation) => {
        if (cancelled || !canvas.current) return;
        drawHeatmap(canvas.current, explanation.upsampled, explanation.side);
        setResult({ explanation });
      })
      .catch((error: unknown) => {
        if (!cancelled) setResult({ error: error instanceof Error ? error.message : String(error) });
      });
    return () => {
      cancelled = true;
    };
  }, [runtime, classifier, image, cls]);

  const explanation = result && "explanation" in result && result.explanation.cls === cls ? result.explanation : null;
  const crop = ready?.classifier.metadata.preprocessing.testCropRatio ?? 1;
  const inset = `${((1 - crop) / 2) * 100}%`;

  return (
    <Card
      title="What the model looks at"
      data-testid="model-explanation"
      data-status={model.status}
      action={
        ready && (
          <select
            aria-label="Class to explain"
            className="rounded-lg border border-white/15 bg-slate-900 px-2 py-1 text-sm text-slate-200"
            value={cls ?? undefined}
            onChange={(e) => setPicked(e.target.value as HiwlClass)}
          >
            {HIWL_CLASSES.map((c) => (
              <option key={c} value={c}>
                {CLASS_LABELS[c]} · {percent(ready.probabilities[c])}
                {c === ready.predicted ? " (predicted)" : ""}
              </option>
            ))}
          </select>
        )
      }
    >
      {model.status === "no-model" && <p className="text-sm text-slate-400">No model yet.</p>}
      {model.status === "loading" && <p className="text-sm text-slate-400">Loading the model…</p>}
      {model.status === "error" && <p className="text-sm text-rose-300">The model could not run in this browser: {model.message}</p>}
      {result && "error" in result && <p className="text-sm text-rose-300">Could not explain the prediction: {result.error}</p>}
      {ready && (
        <div className="space-y-3">
          <div className="relative aspect-square overflow-hidden rounded-xl border border-white/10 bg-black">
            {/* eslint-disable-next-line @next/next/no-img-element -- the same cached image route as the viewer */}
            <img src={imageUrl} alt={alt} className="h-full w-full object-cover" draggable={false} />
            <div className="absolute border border-dashed border-white/40" style={{ inset }}>
              <canvas
                ref={canvas}
                data-testid="heatmap"
                data-class={explanation?.cls}
                data-level={explanation?.level}
                data-cam={explanation && JSON.stringify(explanation.cam)}
                data-cam-side={explanation?.camSide}
                className="h-full w-full"
              />
            </div>
          </div>
          <div className="flex items-center gap-2 text-xs text-slate-400">
            <span>less</span>
            <span className="h-2 flex-1 rounded-full bg-gradient-to-r from-transparent via-[#d44842] to-[#fcffa4]" />
            <span>more attention</span>
          </div>
          <p className="text-xs text-slate-400">
            Grad-CAM of the {explanation ? NETWORK_NAMES[explanation.level] : "…"} network for{" "}
            <strong className="text-slate-200">{cls && CLASS_LABELS[cls]}</strong>, model {ready.version}. The dashed square is
            the part of the image the network sees.
          </p>
        </div>
      )}
    </Card>
  );
}
