import { Option, type Command } from "commander";
import { dataDir, db } from "@hiwl/db";
import { EFFICIENTNET_VARIANT_NAMES, type EfficientNetVariantName } from "@hiwl/model/network";
import { cliHooks } from "./model-options.ts";
import { backendOption, finiteNumber, integer, positiveNumber } from "./option-parsers.ts";
import type { BackendChoice } from "@hiwl/tfjs";
import { DEFAULT_PRESET, PRESET_NAMES, type PresetName } from "../training/presets.ts";
import { PRETRAIN_DEFAULTS, pretrainBackbone, type PretrainSettings } from "../training/self-supervised.ts";

interface PretrainCliOptions extends Partial<PretrainSettings> {
  preset?: PresetName;
  variant?: EfficientNetVariantName;
  inputSize?: number;
  source?: string;
  backend: BackendChoice;
}

export function registerPretrain(program: Command) {
  const d = PRETRAIN_DEFAULTS;
  program
    .command("pretrain")
    .description(
      "pretrain a backbone without labels (SimCLR: two random views of every catalogue image but the test galaxies must find each other); " +
        "saves $HIWL_DATA_DIR/backbones/<name>/ for `hiwl train --init-from`",
    )
    .addOption(
      new Option("--preset <name>", `the training recipe it is for: its variant, input size and split (whose test galaxies are left out) (default: ${DEFAULT_PRESET})`).choices(
        PRESET_NAMES,
      ),
    )
    .addOption(new Option("--variant <name>", "EfficientNet variant (default: the preset's)").choices(EFFICIENTNET_VARIANT_NAMES))
    .option("--input-size <px>", "network input side (default: the preset's)", integer("--input-size", 16))
    .option("--source <name>", "only images of this source, e.g. gz1 (default: the preset's)")
    .option("--epochs <n>", "epochs, which the cosine schedule spans", integer("--epochs", 1), d.epochs)
    .option("--batch <n>", "images per step, two views each", integer("--batch", 2), d.batch)
    .option("--lr <x>", "Adam's initial learning rate", positiveNumber("--lr"), d.lr)
    .option("--temperature <x>", "the contrastive loss's temperature", positiveNumber("--temperature"), d.temperature)
    .option("--min-crop <x>", "the smallest random crop, as a share of the training crop's area", positiveNumber("--min-crop"), d.minCrop)
    .option("--colour <x>", "colour jitter: each channel scaled by e^u, u in [-x, x]", finiteNumber("--colour", 0), d.colour)
    .option("--seed <n>", "seeds weights, order, views and drop-connect", integer("--seed"), d.seed)
    .option("--max-minutes <m>", "stop after the epoch that would end past this time", positiveNumber("--max-minutes"))
    .addOption(backendOption())
    .action(async (opts: PretrainCliOptions) => {
      const hooks = cliHooks();
      try {
        const { dir, metadata } = await pretrainBackbone(
          db(),
          dataDir(),
          {
            ...opts,
            training: { preset: opts.preset, variant: opts.variant, inputSize: opts.inputSize, source: opts.source },
          },
          hooks,
        );
        hooks.stop();
        const last = metadata.epochs.at(-1)!;
        console.log(
          `backbone saved to ${dir}: ${metadata.epochs.length} epochs on ${metadata.images} images, ` +
            `loss ${last.loss.toFixed(4)}, ${(100 * last.partnerAccuracy).toFixed(1)}% of views found their partner; ` +
            `fine-tune it with \`hiwl train --preset ${metadata.heldOut.preset} --init-from ${dir}\``,
        );
      } finally {
        hooks.stop();
      }
    });
}
