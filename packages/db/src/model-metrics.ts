/**
 * ModelVersion.metrics as the dashboard reads it. The trainer writes the JSON (see
 * apps/trainer/src/training/train.ts, RunMetrics); this is the reader's side of that contract.
 * Each part is checked on its own and a malformed or missing one reads as absent, so a version
 * written by an older trainer, or by hand, still shows what it has.
 */
import { z } from "zod";
import type { ModelVersion } from "./generated/prisma/client.ts";

const fraction = z.number().min(0).max(1);
const optional = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);

const classScores = z.object({
  precision: fraction,
  recall: fraction,
  f1: fraction,
  support: z.number().int().min(0),
});

/** One epoch of one network's training. */
const epochRecord = z.object({
  epoch: z.number().int().min(1),
  learningRate: z.number(),
  trainLoss: z.number(),
  trainAccuracy: fraction,
  valLoss: z.number().nullable(),
  valAccuracy: fraction.nullable(),
});
export type EpochRecord = z.infer<typeof epochRecord>;

const modelMetrics = z
  .object({
    accuracy: optional(fraction),
    macroF1: optional(fraction),
    /** Test galaxies the scores are from. */
    count: optional(z.number().int().min(0)),
    classes: optional(z.array(z.string()).min(1)),
    perClass: optional(z.record(z.string(), classScores)),
    /** Rows: true class, columns: predicted class, both in `classes` order. */
    confusion: optional(z.array(z.array(z.number().int().min(0)))),
    /** Per network ("level1", "level2" or "flat"), the epochs in order. */
    curves: optional(z.record(z.string(), z.array(epochRecord))),
    /** The activation policy's decision for the version (apps/trainer/src/training/activation.ts). */
    activation: optional(z.object({ activate: z.boolean(), reason: z.string(), failed: z.string().optional() })),
  })
  .transform(({ classes, perClass, confusion, ...rest }) => {
    // Per-class scores and the matrix mean nothing without the class names they belong to.
    const k = classes?.length ?? 0;
    const square = confusion?.length === k && confusion.every((row) => row.length === k);
    return {
      ...rest,
      classes,
      perClass: classes && perClass && classes.every((c) => c in perClass) ? perClass : undefined,
      confusion: classes && square ? confusion : undefined,
    };
  });
export type ModelMetrics = z.output<typeof modelMetrics>;

const NO_METRICS: ModelMetrics = modelMetrics.parse({});

/** The metrics of a version; none when the JSON is not an object at all. */
export function parseModelMetrics(json: string): ModelMetrics {
  try {
    return modelMetrics.safeParse(JSON.parse(json)).data ?? NO_METRICS;
  } catch {
    return NO_METRICS;
  }
}

export type ModelVersionWithMetrics = Omit<ModelVersion, "metrics"> & { metrics: ModelMetrics };

export function withModelMetrics({ metrics, ...version }: ModelVersion): ModelVersionWithMetrics {
  return { ...version, metrics: parseModelMetrics(metrics) };
}
