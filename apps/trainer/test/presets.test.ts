import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { addModelOptions, modelConfig, type ModelCliOptions } from "../src/cli/model-options.ts";
import { defaultWorkers } from "../src/training/parallel/replica-pool.ts";
import { resolveTrainConfig } from "../src/training/config.ts";
import { DEFAULT_PRESET, PRESET_NAMES, PRESETS, presetNamed, presetScoring, type PresetName } from "../src/training/presets.ts";

const HIWL = fileURLToPath(new URL("../bin/hiwl.mjs", import.meta.url));

/** The training settings `hiwl train` (or `watch`) would train with for these arguments, parsed by the real options. */
async function parsed(args: string[], preset: PresetName = DEFAULT_PRESET, choosable = true) {
  let options: ModelCliOptions | undefined;
  const command = addModelOptions(new Command("train").exitOverride().configureOutput({ writeErr: () => {} }), preset, { choosable });
  await command.action((opts: ModelCliOptions) => void (options = opts)).parseAsync(args, { from: "user" });
  return resolveTrainConfig(modelConfig(options!, preset));
}

describe("training presets", () => {
  it("resolve, every one, to a valid config that is the preset itself and names it", () => {
    const settings = Object.keys(PRESETS.paper.training).sort();
    for (const name of PRESET_NAMES) {
      expect(Object.keys(PRESETS[name].training).sort(), name).toEqual(settings);
      // A preset leaves the replica count to the machine, but for bench al's, whose seeds run side by side, one a core.
      const workers = name === "al-bench" ? 1 : null;
      expect(PRESETS[name].training.workers, name).toBe(workers);
      expect(resolveTrainConfig({ preset: name })).toEqual({ ...PRESETS[name].training, preset: name, workers: workers ?? defaultWorkers() });
    }
  });

  it("give the worker the benchmarks' recipe, for hiwl watch and, by default, hiwl train", () => {
    expect(DEFAULT_PRESET).toBe("worker");
    expect(resolveTrainConfig({})).toEqual({
      preset: "worker",
      variant: "tiny",
      inputSize: 64,
      batch: 32,
      epochs: 30,
      optimizer: "adam",
      lr: 0.003,
      warmupEpochs: 1,
      weightDecay: 1e-4,
      batchNormMomentum: 0.9,
      classifierInitScale: 0.05,
      targets: "votes",
      voteWeighting: "reliability",
      hierarchy: "hierarchical",
      weightedSampling: true,
      rotationDegrees: 25,
      testViews: 1,
      emaDecay: 0.7,
      classes: "hiwl",
      source: null,
      limit: null,
      patience: 25,
      bestBy: "last",
      minEpochExamples: 512,
      initFrom: null,
      seed: 0,
      splitSeed: 0,
      maxMinutes: null,
      workers: defaultWorkers(),
    });
    expect(presetScoring("worker")).toEqual({ acquisition: "margin", passes: 1, perVote: true });
    // The queue is scored the same whichever recipe trained the model.
    for (const name of PRESET_NAMES) expect(presetScoring(name)).toEqual({ acquisition: "margin", passes: 1, perVote: true });
  });

  it("keep HIWL's own recipe, the default before presets, as paper", () => {
    expect(resolveTrainConfig({ preset: "paper" })).toMatchObject({
      batch: 16,
      optimizer: "sgd",
      lr: 0.005,
      warmupEpochs: 0,
      targets: "smooth",
      voteWeighting: "none",
      bestBy: "accuracy",
      minEpochExamples: 0,
      patience: 25,
    });
  });

  it("are overridden setting by setting by the options given, on the command line as in code", async () => {
    expect(await parsed([])).toEqual(resolveTrainConfig({}));
    const gz1 = await parsed(["--preset", "gz1", "--input-size", "96", "--best-by", "last"]);
    expect(gz1).toEqual({ ...PRESETS.gz1.training, preset: "gz1", inputSize: 96, bestBy: "last", workers: defaultWorkers() });
    // What bench:gz1's ablation kept: any angle in training, 8 views per prediction, averaged weights.
    expect(gz1).toMatchObject({ rotationDegrees: 180, testViews: 8, emaDecay: 0.7 });
    // A bench's own preset, where --preset is not offered.
    expect(await parsed(["--epochs", "3"], "ablation", false)).toEqual({ ...PRESETS.ablation.training, preset: "ablation", epochs: 3, workers: defaultWorkers() });
    expect((await parsed(["--workers", "3"])).workers).toBe(3);
    expect(await parsed(["--rotation", "180", "--test-views", "8"])).toMatchObject({ rotationDegrees: 180, testViews: 8 });
    expect((await parsed(["--ema-decay", "0.7"])).emaDecay).toBe(0.7);
    await expect(parsed(["--ema-decay", "1"])).rejects.toThrow(/EMA decay must be in \[0, 1\), got 1/);
    await expect(parsed(["--test-views", "4"])).rejects.toThrow('--test-views must be 1 or 8, got "4"');
    expect(() => resolveTrainConfig({ rotationDegrees: 270 })).toThrow(/rotation must be in \[0, 180\] degrees, got 270/);
    expect(() => resolveTrainConfig({ testViews: 4 as 8 })).toThrow(/test views must be one of 1, 8, got 4/);
    await expect(parsed(["--workers", "0"])).rejects.toThrow(/--workers/);
    await expect(parsed(["--preset", "paper"], "ablation", false)).rejects.toThrow(/unknown option '--preset'/);
    // The preset's rate belongs to its optimizer; another optimizer starts at its own customary rate.
    expect((await parsed(["--optimizer", "sgd"])).lr).toBe(0.005);
    expect((await parsed(["--optimizer", "sgd", "--lr", "0.01"])).lr).toBe(0.01);
    expect(resolveTrainConfig({ preset: "paper", optimizer: "adam" }).lr).toBe(0.001);
    // Its hierarchy belongs to its classes: the coarse classes are only ever flat.
    expect(resolveTrainConfig({ classes: "coarse" }).hierarchy).toBe("flat");
    expect(resolveTrainConfig({ preset: "gz1", classes: "hiwl" }).hierarchy).toBe("flat");
    expect(() => resolveTrainConfig({ classes: "coarse", hierarchy: "hierarchical" })).toThrow(/the coarse classes are trained flat only/);
    expect(() => resolveTrainConfig({ voteWeighting: "skill" as "none" })).toThrow(/vote weighting must be one of none, reliability, got "skill"/);
  });

  it("refuse an unknown name with the names there are, in code (a job's config too) and on the command line", async () => {
    const names = "worker, paper, al-bench, gz1, ablation";
    expect(() => presetNamed("fast")).toThrow(`invalid training options: preset must be one of ${names}, got "fast"`);
    expect(() => resolveTrainConfig({ preset: "fast" as PresetName })).toThrow(`preset must be one of ${names}, got "fast"`);
    await expect(parsed(["--preset", "fast"])).rejects.toThrow(`argument 'fast' is invalid. Allowed choices are ${names}.`);
    const run = promisify(execFile)(process.execPath, [HIWL, "train", "--preset", "fast"], { timeout: 60_000 });
    await expect(run).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining(`Allowed choices are ${names}.`) });
  });
});
