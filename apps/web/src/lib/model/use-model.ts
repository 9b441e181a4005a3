import { HIWL_CLASSES, type HiwlClass, type ReliabilityBin } from "@hiwl/model";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useTRPC } from "~/trpc/react.tsx";

import type * as RuntimeModule from "./runtime.ts";

export type Runtime = typeof RuntimeModule;
type Classifier = RuntimeModule.Classifier;

let runtime: Promise<Runtime> | undefined;

/** The TensorFlow.js code, fetched the first time a page needs it. */
function loadRuntime(): Promise<Runtime> {
  runtime ??= import("./runtime.ts").catch((error: unknown) => {
    runtime = undefined;
    throw error;
  });
  return runtime;
}

/**
 * How often an open page asks whether a newer model is active. Pages that mount per galaxy
 * (the classify page) also ask on every new galaxy.
 */
const MODEL_POLL_MS = 30_000;

function useActiveModel() {
  const trpc = useTRPC();
  return useQuery({ ...trpc.training.activeModel.queryOptions(), staleTime: 0, refetchInterval: MODEL_POLL_MS });
}

export interface LiveModel {
  runtime: Runtime;
  version: string;
  /** The version's test galaxies' reliability bins (null: an uncalibrated version). */
  reliability: ReliabilityBin[] | null;
  backend: string;
  classifier: Classifier;
  image: ImageBitmap;
  probabilities: Record<HiwlClass, number>;
  predicted: HiwlClass;
  ms: number;
}

export type LiveModelState =
  | { status: "loading" }
  | { status: "no-model" }
  | { status: "error"; message: string }
  | ({ status: "ready" } & LiveModel);

/**
 * The active model's prediction for one galaxy image, computed in the browser. When the
 * active version changes, the new one is loaded and the prediction redone without a reload.
 */
export function useLiveModel(imageUrl: string): LiveModelState {
  const active = useActiveModel();
  const version = active.data?.version;
  const reliability = active.data?.reliability ?? null;
  const [result, setResult] = useState<{ key: string } & ({ error: string } | { model: Omit<LiveModel, "reliability"> })>();
  const current = `${version}\n${imageUrl}`;

  useEffect(() => {
    if (!version) return;
    let cancelled = false;
    const key = `${version}\n${imageUrl}`;
    (async () => {
      const rt = await loadRuntime();
      const [backend, classifier, image] = await Promise.all([rt.initBackend(), rt.classifierFor(version), rt.decodeImage(imageUrl)]);
      const prediction = await rt.predict(classifier, image);
      const probabilities = Object.fromEntries(HIWL_CLASSES.map((c, i) => [c, prediction.probabilities[i]!])) as Record<HiwlClass, number>;
      if (!cancelled) {
        setResult({
          key,
          model: {
            runtime: rt,
            version,
            backend,
            classifier,
            image,
            probabilities,
            predicted: prediction.predicted,
            ms: prediction.ms,
          },
        });
      }
    })().catch((error: unknown) => {
      if (!cancelled) setResult({ key, error: error instanceof Error ? error.message : String(error) });
    });
    return () => {
      cancelled = true;
    };
  }, [version, imageUrl]);

  if (active.isPending) return { status: "loading" };
  if (active.isError) return { status: "error", message: active.error.message };
  if (!version) return { status: "no-model" };
  if (result?.key !== current) return { status: "loading" };
  return "error" in result ? { status: "error", message: result.error } : { status: "ready", ...result.model, reliability };
}
