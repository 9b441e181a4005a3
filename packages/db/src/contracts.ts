/**
 * The stored JSON shapes: one zod contract per JSON column, which the code that writes the
 * column and the code that reads it both go through (toStoredJson, readStoredJson and the
 * readers per column below), so no process reads back a shape another one did not write.
 *
 *   Galaxy.metadata          galaxyMetadata       the synthetic truth, a catalogue's original label
 *   Galaxy.priorFractions    priorFractions       the 37 fractions a catalogue shipped (Kaggle)
 *   Classification.answers   walkAnswers          the answer ids of one walk of the tree
 *   TrainingJob.config       trainingJobConfig    the training settings a job overrides
 *   TrainingJob.progress     jobProgress          what a running job reports
 *   ModelVersion.config      modelVersionConfig   the run's settings
 *   ModelVersion.metrics     modelMetrics         test scores, split, learning curves, activation
 *
 * Writers are checked on what is stored, the value as JSON gives it back: what JSON cannot
 * hold (NaN, undefined) fails here, naming the field, rather than turning into null on disk.
 * Values with fractions are written as their JSON text (storedJsonText, writeJsonColumns):
 * Prisma 6.19 moves about one number in five that it writes by its last bit (prisma/prisma#11096;
 * 0.30000000000000004 is stored as 0.3), and a recorded accuracy must equal the computed one.
 * A stored value that breaks its contract is a StoredJsonError naming the row and the field,
 * except where the dashboard reads what another process wrote (metrics, progress): there each
 * part is checked on its own and a malformed one reads as absent, so a version recorded by an
 * older trainer still shows what it has.
 */
import { ANSWER_IDS } from "@hiwl/model";
import { z } from "zod";
import { Prisma, type Classification, type Galaxy, type ModelVersion, type TrainingJob } from "./generated/prisma/client.ts";

/** A stored JSON value that breaks its contract, or a value that would. */
export class StoredJsonError extends Error {
  override readonly name = "StoredJsonError";
}

/** Where a stored value sits: "Galaxy 12 metadata". */
export interface JsonPlace {
  table: string;
  /** The row, when it exists already. */
  id?: number | string;
  field: string;
}

const placeOf = (p: JsonPlace) => `${p.table}${p.id === undefined ? "" : ` ${p.id}`} ${p.field}`;

/** A stored value as its contract gives it; StoredJsonError naming the row and field otherwise. */
export function readStoredJson<S extends z.ZodType>(schema: S, value: unknown, place: JsonPlace): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new StoredJsonError(`${placeOf(place)} is not what the platform stores: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** A value to write into a JSON column, checked against its contract as JSON will store it. */
export function toStoredJson<S extends z.ZodType>(schema: S, value: z.input<S>, place: JsonPlace): Prisma.InputJsonValue {
  // JSON.stringify(undefined) is undefined, which JSON.parse refuses: such a value cannot be stored.
  const text = JSON.stringify(value) as string | undefined;
  const parsed = schema.safeParse(text === undefined ? undefined : JSON.parse(text));
  if (!parsed.success) throw new StoredJsonError(`cannot store ${placeOf(place)}: ${z.prettifyError(parsed.error)}`);
  // What a contract accepts after a JSON round trip is JSON; Prisma's type cannot see that.
  return parsed.data as Prisma.InputJsonValue;
}

/** The JSON text of a value that keeps its contract, exactly as it is to be stored. */
export const storedJsonText = <S extends z.ZodType>(schema: S, value: z.input<S>, place: JsonPlace): string =>
  JSON.stringify(toStoredJson(schema, value, place));

/** The JSON columns of the tables whose JSON holds fractions, by table. */
interface JsonColumns {
  ModelVersion: "config" | "metrics";
  TrainingJob: "config" | "progress";
}

/**
 * Sets JSON columns of one row to texts from storedJsonText, as text: stored exactly (see
 * above). Table and column names are this module's constants, never input.
 */
export async function writeJsonColumns<T extends keyof JsonColumns>(
  db: Prisma.TransactionClient,
  table: T,
  id: number,
  columns: Partial<Record<JsonColumns[T], string>>,
): Promise<number> {
  const sets = Object.entries(columns).map(([column, text]) => Prisma.sql`${Prisma.raw(`"${column}"`)} = ${text}`);
  return db.$executeRaw`UPDATE ${Prisma.raw(`"${table}"`)} SET ${Prisma.join(sets)} WHERE "id" = ${id}`;
}

/**
 * The reader's side for JSON another process writes (the dashboard): every field checked on
 * its own, a malformed or missing one absent, and anything but an object read as no fields.
 */
function lenient<Shape extends Record<string, z.ZodType>>(shape: Shape) {
  const fields = Object.fromEntries(Object.entries(shape).map(([key, field]) => [key, field.optional().catch(undefined)])) as {
    [K in keyof Shape]: z.ZodCatch<z.ZodOptional<Shape[K]>>;
  };
  const object = z.object(fields);
  return object.catch(() => object.parse({}));
}

const fraction = z.number().min(0).max(1);
const count = z.number().int().min(0);

// ---------------------------------------------------------------------------------------------
// Galaxy

const ANSWER_SET: ReadonlySet<string> = new Set(ANSWER_IDS);
const answerId = z.string().refine((id) => ANSWER_SET.has(id), { error: (issue) => `unknown answer id ${JSON.stringify(issue.input)}` });

/** Galaxy.priorFractions: the 37 cumulative fractions in ANSWER_IDS order (Kaggle convention). */
export const priorFractions = z.array(fraction).length(ANSWER_IDS.length).readonly();

const rgb = z.tuple([z.number(), z.number(), z.number()]).readonly();

/** A synthetic galaxy's disk (packages/catalog/src/synthetic). */
export const syntheticDiskTruth = z
  .object({
    /** Radians: 0 face-on, π/2 edge-on. */
    inclination: z.number(),
    /** Scale height over scale length: the axis ratio the disk shows exactly edge-on. */
    thickness: z.number(),
    /** Bar strength, 0 none ... 1 strong. */
    bar: z.number(),
    /** Number of spiral arms; 5 and 6 are flocculent disks ("more than four"). */
    armCount: z.number().int(),
    /** Pitch angle of the logarithmic spiral in degrees: ~8 tightly wound ... ~40 loose. */
    pitchAngle: z.number(),
    /** Arm-interarm contrast, 0 no spiral pattern (lenticular) ... 1 grand design. */
    armContrast: z.number(),
    /** Opacity of the mid-plane dust, 0 ... 1; it shows as a lane when the disk is near edge-on. */
    dustLane: z.number(),
  })
  .readonly();

/** What a synthetic galaxy really is (packages/catalog/src/synthetic/truth.ts renders and answers from it). */
export const syntheticTruth = z
  .object({
    kind: z.enum(["smooth", "disk"]),
    /** Minor over major axis of the main light as projected on the sky (disks: from inclination and thickness). */
    axisRatio: z.number(),
    /** Major-axis position angle, radians counter-clockwise from the image x axis, in [0, π). */
    positionAngle: z.number(),
    /** Half-light radius of the main component (smooth: the galaxy; disk: the disk) in pixels of a 424-pixel image. */
    radius: z.number(),
    /**
     * Angular half-light radius in arcseconds. With SDSS's 0.396" pixels and ~1.4" seeing it
     * sets how coarse and blurred the galaxy looks, hence how much detail volunteers can see.
     */
    angularRadius: z.number(),
    /**
     * Surface brightness at the half-light radius (a disk's as seen face-on), in units of the
     * sky noise of one SDSS pixel.
     */
    brightness: z.number(),
    /** Sérsic index of the spheroidal light (smooth: the whole galaxy; disk: the bulge). */
    sersicIndex: z.number(),
    /** Share of the light in the bulge, 0 ... 1 (smooth galaxies: 1). */
    bulgeFraction: z.number(),
    bulgeShape: z.enum(["round", "boxy"]),
    /** Projected minor over major axis of the bulge (smooth galaxies: the axis ratio). */
    bulgeAxisRatio: z.number(),
    /** Colour of the centre (the bulge of a disk): relative fluxes in the i, r, g bands, shown as red, green, blue. */
    coreColour: rgb,
    /** Colour of the outskirts (the disk of a disk). */
    outerColour: rgb,
    disk: syntheticDiskTruth.nullable(),
    oddFeature: z.enum(["none", "ring", "merger", "disturbed", "irregular"]),
    /** How pronounced the odd feature is, 0 ... 1 (0 when there is none). */
    oddStrength: z.number(),
  })
  .readonly();
export type SyntheticTruth = z.output<typeof syntheticTruth>;

/**
 * Galaxy.metadata: a synthetic galaxy's truth ({ truth }), or a catalogue import's original
 * label under the name of its label column (`hiwl import catalog --label-column`).
 */
export const galaxyMetadata = z.union([z.strictObject({ truth: syntheticTruth }), z.record(z.string(), z.string())]);
export type GalaxyMetadata = z.output<typeof galaxyMetadata>;

/** A galaxy's stored metadata (null: none). */
export const galaxyMetadataOf = (g: Pick<Galaxy, "id" | "metadata">): GalaxyMetadata | null =>
  readStoredJson(galaxyMetadata.nullable(), g.metadata, { table: "Galaxy", id: g.id, field: "metadata" });

/** The truth of a synthetic galaxy; StoredJsonError for a galaxy that has none. */
export function syntheticTruthOf(g: Pick<Galaxy, "id" | "metadata">): SyntheticTruth {
  const metadata = galaxyMetadataOf(g);
  // A catalogue's label column may be called "truth" too: only an object is a synthetic truth.
  if (metadata && typeof metadata.truth === "object") return metadata.truth;
  throw new StoredJsonError(`Galaxy ${g.id} metadata has no synthetic truth: it is not a synthetic galaxy`);
}

/** A galaxy's catalogue fractions (null: its catalogue shipped none). */
export const priorFractionsOf = (g: Pick<Galaxy, "id" | "priorFractions">): readonly number[] | null =>
  readStoredJson(priorFractions.nullable(), g.priorFractions, { table: "Galaxy", id: g.id, field: "priorFractions" });

// ---------------------------------------------------------------------------------------------
// Classification

/** Classification.answers: one walk of the decision tree, answer ids in the order given. */
export const walkAnswers = z.array(answerId).min(1);

export const answersOf = (c: Pick<Classification, "id" | "answers">): string[] =>
  readStoredJson(walkAnswers, c.answers, { table: "Classification", id: c.id, field: "answers" });

// ---------------------------------------------------------------------------------------------
// Training jobs and model versions

/**
 * Training settings by name (apps/trainer/src/training/config.ts, TrainConfig): flat, every
 * value a string, number, boolean or null. Which names a job may set is the trainer's to say.
 */
const trainingSettings = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]));
export type TrainingSettings = z.output<typeof trainingSettings>;

/** TrainingJob.config: the settings this job overrides ({} for the worker's own). */
export const trainingJobConfig = trainingSettings;
/** ModelVersion.config: every setting of the run, and the backend it trained on. */
export const modelVersionConfig = trainingSettings;

export const trainingJobConfigOf = (job: Pick<TrainingJob, "id" | "config">): TrainingSettings =>
  readStoredJson(trainingJobConfig, job.config, { table: "TrainingJob", id: job.id, field: "config" });

export const modelVersionConfigOf = (v: Pick<ModelVersion, "id" | "config">): TrainingSettings =>
  readStoredJson(modelVersionConfig, v.config, { table: "ModelVersion", id: v.id, field: "config" });

/** A version's settings for the dashboard, which the trainer wrote: a malformed value shows as none. */
export const shownModelVersionConfig = (v: Pick<ModelVersion, "config">): TrainingSettings => modelVersionConfig.catch({}).parse(v.config);

const jobProgressShape = {
  /** "starting", "cutouts 10/200", "train level1", "score 5/2000", "done", "failed", ... */
  phase: z.string(),
  /** The network in training. */
  level: z.string().optional(),
  epoch: z.number().int().min(1).optional(),
  epochs: z.number().int().min(1).optional(),
  loss: z.number().optional(),
  accuracy: fraction.optional(),
  imagesPerSec: z.number().min(0).optional(),
  valLoss: z.number().optional(),
  valAccuracy: fraction.optional(),
  /** The model version, once trained. */
  version: z.string().optional(),
};

/** TrainingJob.progress: what the worker reports as a job runs (apps/trainer/src/worker/progress.ts). */
export const jobProgress = z.strictObject(jobProgressShape);
export type JobProgress = z.output<typeof jobProgress>;

const dashboardProgress = lenient(jobProgressShape);
/** A job's progress for the dashboard: what of it is well-formed (a job not started yet: none). */
export type ShownJobProgress = z.output<typeof dashboardProgress>;
export const shownJobProgress = (job: Pick<TrainingJob, "progress">): ShownJobProgress => dashboardProgress.parse(job.progress);

const classScores = z.object({ precision: fraction, recall: fraction, f1: fraction, support: count });

/** One epoch of one network's training (apps/trainer/src/training/loop.ts). */
export const epochRecord = z.object({
  epoch: z.number().int().min(1),
  learningRate: z.number(),
  trainLoss: z.number(),
  trainAccuracy: fraction,
  /** Null when the network has no validation galaxies. */
  valLoss: z.number().nullable(),
  valAccuracy: fraction.nullable(),
});
export type EpochRecord = z.output<typeof epochRecord>;

export const bestEpoch = epochRecord.pick({ epoch: true, valLoss: true, valAccuracy: true });
export type BestEpoch = z.output<typeof bestEpoch>;

export const STOP_REASONS = ["epochs", "early-stopping", "time-limit"] as const;
export type StopReason = (typeof STOP_REASONS)[number];

/** The activation policy's decision for a new version (apps/trainer/src/training/activation.ts). */
export const activationDecision = z.object({
  activate: z.boolean(),
  /** Why, in words, with the accuracies when the two versions were compared. */
  reason: z.string(),
  /** The new version's accuracy on its test galaxies, reloaded (null: not evaluated, e.g. --no-activate). */
  newAccuracy: fraction.nullable(),
  /** The version that was active when the decision was made (null: none). */
  activeVersion: z.string().nullable(),
  /** Its accuracy on the same galaxies (null: none, or it could not be evaluated). */
  activeAccuracy: fraction.nullable(),
  /** How many held-out galaxies the accuracies are from (0 when nothing was evaluated). */
  galaxies: count,
  decidedAt: z.iso.datetime(),
  /** Set when activating failed: the step and the error; the previous version stayed active. */
  failed: z.string().optional(),
});
export type ActivationDecision = z.output<typeof activationDecision>;

/** One bin of a reliability diagram: decisions whose confidence fell in [lower, upper). */
const reliabilityBin = z.object({ lower: fraction, upper: fraction, count, confidence: fraction, accuracy: fraction });

/** Accuracy on the share `coverage` of the test galaxies the model is surest of (@hiwl/model's accuracyByCoverage). */
const coveragePoint = z.object({ coverage: fraction, count, minConfidence: fraction, accuracy: fraction });

/** Temperature scaling fitted on the validation galaxies (@hiwl/model's calibration.ts), and what it did on the test galaxies. */
export const calibrationRecord = z.object({
  temperature: z.number().positive(),
  /** Expected calibration error on the test galaxies, before and after. */
  eceBefore: fraction,
  eceAfter: fraction,
  /** The test galaxies' reliability diagram after calibration. */
  bins: z.array(reliabilityBin),
  /** The test galaxies' accuracy-by-coverage curve, with calibrated confidences. Absent for versions trained before it. */
  coverage: z.array(coveragePoint).optional(),
});
export type CalibrationRecord = z.output<typeof calibrationRecord>;

/** Per network ("level1", "level2" or "flat"). */
const perNetwork = <T extends z.ZodType>(value: T) => z.record(z.string(), value);

const runMetricsShape = {
  /** The classes the scores are for, in the order of the confusion matrix. */
  classes: z.array(z.string()).min(1).readonly(),
  accuracy: fraction,
  perClass: z.record(z.string(), classScores),
  /** Rows: true class, columns: predicted class, both in `classes` order. */
  confusion: z.array(z.array(count).readonly()).readonly(),
  /** Test galaxies the scores are from. */
  count,
  macroF1: fraction,
  testGalaxies: count,
  split: z.object({ seed: count, train: count, val: count, test: count, testSetHash: z.string() }),
  curves: perNetwork(z.array(epochRecord)),
  best: perNetwork(bestEpoch.nullable()),
  stopped: perNetwork(z.enum(STOP_REASONS).nullable()),
  sampling: perNetwork(z.enum(["class-balanced", "shuffled"])),
  timing: z.object({
    trainSeconds: z.number().min(0),
    epochs: z.array(z.object({ level: z.string(), epoch: z.number().int().min(1), seconds: z.number().min(0), imagesPerSec: z.number().min(0) })),
  }),
  /** Absent for versions trained before calibration. */
  calibration: calibrationRecord.optional(),
  /** Set after training by the activation policy: whether and why the version became active. */
  activation: activationDecision,
};

/** What the trainer records for every version it trains; the activation decision follows later. */
export const runMetrics = z.strictObject({ ...runMetricsShape, activation: activationDecision.optional() });
export type RunMetrics = z.output<typeof runMetrics>;

/**
 * ModelVersion.metrics: the trainer's RunMetrics, any part of which may be missing (a version
 * registered by hand, or by a trainer that recorded less), none of which may be malformed.
 */
export const modelMetrics = runMetrics.partial();
export type StoredModelMetrics = z.input<typeof modelMetrics>;

/** The complete metrics of a version the trainer trained; StoredJsonError naming what is missing otherwise. */
export const runMetricsOf = (v: Pick<ModelVersion, "id" | "metrics">): RunMetrics =>
  readStoredJson(runMetrics, v.metrics, { table: "ModelVersion", id: v.id, field: "metrics" });

const dashboardMetrics = lenient(runMetricsShape).transform(({ classes, perClass, confusion, ...rest }) => {
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
/** A version's metrics as the dashboard shows them: each well-formed part, the rest absent. */
export type ModelMetrics = z.output<typeof dashboardMetrics>;
export const shownModelMetrics = (v: Pick<ModelVersion, "metrics">): ModelMetrics => dashboardMetrics.parse(v.metrics);
