"use client";

import { CLASS_LABELS, confidenceWords, HIWL_CLASSES, measuredAccuracy } from "@hiwl/model";
import { Card, ProbabilityBars } from "@hiwl/ui";
import type { ReactNode } from "react";
import { useLiveModel, type LiveModel } from "~/lib/model/use-model.ts";
import { classItems } from "~/lib/votes.ts";

/**
 * The active model's guess for the galaxy on screen, computed in the browser as soon as the
 * galaxy appears but shown only once the volunteer has answered, so that it cannot sway the
 * answers the next model learns from.
 */
export function ModelPrediction({ imageUrl, revealed }: { imageUrl: string; revealed: boolean }) {
  const model = useLiveModel(imageUrl);
  const ready = model.status === "ready" && revealed;
  return (
    <Card
      title="Model's guess"
      action={model.status === "ready" && <span className="text-xs text-slate-500">model {model.version}</span>}
      data-testid="model-prediction"
      data-status={model.status}
      {...(ready && {
        "data-model-version": model.version,
        "data-backend": model.backend,
        "data-probabilities": JSON.stringify(HIWL_CLASSES.map((c) => model.probabilities[c])),
        "data-ms": model.ms.toFixed(1),
      })}
    >
      {model.status === "no-model" && <Note>No model yet. Your classifications will train the first one.</Note>}
      {model.status === "loading" && <Note>Loading the model…</Note>}
      {model.status === "error" && <Note>The model could not run in this browser: {model.message}</Note>}
      {model.status === "ready" && !revealed && <Note>Answer the questions to see what the model thinks.</Note>}
      {ready && (
        <div className="space-y-3">
          <HowSure model={model} />
          <ProbabilityBars items={classItems(model.probabilities)} highlight={model.predicted} />
          <p className="text-xs text-slate-500">
            Computed in your browser in {Math.max(1, Math.round(model.ms))} ms ({model.backend}).
          </p>
        </div>
      )}
    </Card>
  );
}

const percent = (x: number) => `${Math.round(100 * x)}%`;

/**
 * The decided class with how sure the model is in words (calibration.ts' confidenceWords), and
 * what that confidence has meant: how often the version was right on its test galaxies when it
 * was as sure (its reliability bin), where enough of them were.
 */
function HowSure({ model }: { model: LiveModel }) {
  const confidence = model.probabilities[model.predicted];
  const measured = model.reliability && measuredAccuracy(confidence, model.reliability);
  return (
    <div data-testid="how-sure" data-confidence={confidence} data-measured-accuracy={measured ? measured.accuracy : undefined}>
      <p className="text-sm text-slate-300">
        The model says <strong className="text-white">{CLASS_LABELS[model.predicted]}</strong>: {confidenceWords(confidence)} (
        {percent(confidence)} sure).
      </p>
      {measured && (
        <p className="mt-1 text-xs text-slate-400">
          Of the {measured.galaxies} test galaxies it was {percent(measured.lower)}–{percent(measured.upper)} sure about, it got{" "}
          {percent(measured.accuracy)} right.
        </p>
      )}
    </div>
  );
}

function Note({ children }: { children: ReactNode }) {
  return <p className="text-sm text-slate-400">{children}</p>;
}
