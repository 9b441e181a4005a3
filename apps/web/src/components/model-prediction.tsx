"use client";

import { useQuery } from "@tanstack/react-query";
import { Card } from "@hiwl/ui";
import { useTRPC } from "~/trpc/react.tsx";

/**
 * Slot for the active model's in-browser prediction of the galaxy on screen. Until the
 * TensorFlow.js step exists it only says whether a model has been trained; that step gives it
 * the galaxy's image and shows the five class probabilities here.
 */
export function ModelPrediction() {
  const trpc = useTRPC();
  const model = useQuery(trpc.training.activeModel.queryOptions());
  return (
    <Card title="Model's guess" data-testid="model-prediction">
      <p className="text-sm text-slate-400">
        {model.isPending
          ? "…"
          : model.data
            ? `Model ${model.data.version} is trained; predictions in the browser are coming soon.`
            : "No model yet. Your classifications will train the first one."}
      </p>
    </Card>
  );
}
