import { Option, type Command } from "commander";
import { dataDir, db, retirementRules, VOTE_WEIGHTINGS } from "@hiwl/db";
import { formatMetrics, CROWD_LABEL_MODES, CLASS_SET_NAMES } from "@hiwl/model";
import { applyActivationPolicy, checkForcedActivation } from "../training/activation.ts";
import { addModelOptions, cliHooks, initFromOption, modelConfig, presetHelp, resolveModel, type ModelCliOptions } from "./model-options.ts";
import { onOff } from "./option-parsers.ts";
import { resolveTrainConfig, type TrainConfigInput } from "../training/config.ts";
import { ImagePipeline } from "../training/image-pipeline.ts";
import { DEFAULT_PRESET, PRESETS, presetScoring } from "../training/presets.ts";
import { trainModel, type TrainOptions } from "../training/train.ts";
import { formatScoreSummary } from "../worker/scoring.ts";

interface TrainCliOptions extends ModelCliOptions {
  targets?: TrainConfigInput["targets"];
  voteWeighting?: TrainConfigInput["voteWeighting"];
  hierarchy?: boolean;
  weightedSampling?: boolean;
  classes?: TrainConfigInput["classes"];
  source?: string;
  resume?: string | true;
  initFrom?: string;
  activate?: boolean;
}

export function registerTrain(program: Command) {
  const command = program
    .command("train")
    .description(
      "train a HIWL classifier on the labelled galaxies; saves $HIWL_DATA_DIR/models/<version>/ and records a model version",
    );
  const d = PRESETS[DEFAULT_PRESET].training;
  addModelOptions(command, DEFAULT_PRESET, { choosable: true })
    .addOption(
      new Option(
        "--targets <mode>",
        `crowd labels: hard, smooth (HIWL label smoothing) or votes (crowd vote distributions)${presetHelp(DEFAULT_PRESET, d.targets)}`,
      ).choices(CROWD_LABEL_MODES),
    )
    .addOption(
      new Option(
        "--vote-weighting <mode>",
        `none: every vote alike; reliability: each volunteer's answers weigh by their estimated reliability${presetHelp(DEFAULT_PRESET, d.voteWeighting)}`,
      ).choices(VOTE_WEIGHTINGS),
    )
    .addOption(
      new Option(
        "--classes <set>",
        `hiwl: the five HIWL classes; coarse: smooth / edge-on / spiral (Galaxy Zoo 1 labels, flat only)${presetHelp(DEFAULT_PRESET, d.classes)}`,
      ).choices(CLASS_SET_NAMES),
    )
    .option(
      "--hierarchy <on|off>",
      "on: level 1 (4-way, cigar+edge-on merged) + level 2 (cigar vs edge-on); off: one flat network (default: the preset's where the classes allow it)",
      onOff("--hierarchy"),
    )
    .option(
      "--weighted-sampling <on|off>",
      `class-balanced sampling for level 2 (or the flat network)${presetHelp(DEFAULT_PRESET, d.weightedSampling ? "on" : "off")}`,
      onOff("--weighted-sampling"),
    )
    .option("--source <name>", "only galaxies of this source (e.g. gz1, synthetic, kaggle)")
    .option("--resume [version]", "continue an interrupted run (default: the latest) with its own settings")
    .addOption(initFromOption())
    .addOption(
      new Option("--activate", "make the new model the active one whatever the comparison says (after it has scored the active galaxies)"),
    )
    .addOption(
      new Option(
        "--no-activate",
        "keep the active model (default: a 5-class model becomes active when none is, or when it is at least as accurate as the " +
          "active one on its held-out galaxies, once it has scored the active galaxies)",
      ),
    )
    .action(async (opts: TrainCliOptions) => {
      const hooks = cliHooks();
      let pipeline: ImagePipeline | null = null;
      try {
        const options: TrainOptions = {
          ...modelConfig(opts, DEFAULT_PRESET),
          targets: opts.targets,
          voteWeighting: opts.voteWeighting,
          classes: opts.classes,
          hierarchy: opts.hierarchy === undefined ? undefined : opts.hierarchy ? "hierarchical" : "flat",
          weightedSampling: opts.weightedSampling,
          source: opts.source,
          backend: opts.backend,
          resume: opts.resume,
        };
        // Before a training run that could only end in this error (or in invalid options).
        checkForcedActivation(resolveTrainConfig(options).classes, opts.activate);
        if (opts.initFrom !== undefined) options.initFrom = (await resolveModel(db(), opts.initFrom)).dir;
        const result = await trainModel(db(), dataDir(), options, hooks);
        hooks.stop();
        console.log("");
        console.log(formatMetrics(result.metrics));
        console.log("");
        console.log(`model saved to ${result.dir}`);
        pipeline = await ImagePipeline.start();
        const { decision, modelVersion, scoring } = await applyActivationPolicy(db(), result, {
          force: opts.activate,
          dataDir: dataDir(),
          pipeline,
          scoring: { ...presetScoring(result.config.preset), retirement: retirementRules() },
          onPhase: hooks.onPhase,
        });
        hooks.stop();
        const state = modelVersion.active ? "is now active" : "is not active";
        console.log(`model version ${result.version} (id ${result.modelVersion.id}) ${state}: ${decision.reason}`);
        if (scoring) console.log(formatScoreSummary(scoring));
      } finally {
        hooks.stop();
        await pipeline?.close();
      }
    });
}
