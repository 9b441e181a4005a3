/**
 * PyTorch as the peer of `hiwl bench train --compare-pytorch`: Debian's python3-torch and
 * python3-torchvision run the same shapes and step (pytorch_throughput.py) so that both
 * figures come from the same machine in the same run.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { HIWL_CLASSES } from "@hiwl/model";
import type { EfficientNetVariantName } from "@hiwl/model/network";
import { INFERENCE_BATCH } from "../training/evaluate.ts";

/** The project's variants torchvision has. */
export const PYTORCH_MODELS: readonly EfficientNetVariantName[] = ["b0"];

export interface PytorchRow {
  torch: string;
  threads: number;
  trainImagesPerSec: number;
  inferImagesPerSec: number;
}

const SCRIPT = fileURLToPath(new URL("./pytorch_throughput.py", import.meta.url));
/** Debian's interpreter first: a python3 earlier on PATH (pyenv, a virtualenv) may lack Debian's torch. */
const INTERPRETERS = ["/usr/bin/python3", "python3"];

/** The first Python that imports torch and torchvision; throws with the install command otherwise. */
export function findPytorch(): string {
  for (const python of INTERPRETERS) {
    if (spawnSync(python, ["-c", "import torch, torchvision"], { stdio: "ignore" }).status === 0) return python;
  }
  throw new Error(
    `--compare-pytorch needs PyTorch with torchvision, which none of ${INTERPRETERS.join(", ")} imports: install Debian's with \`apt-get install -y python3-torch python3-torchvision\``,
  );
}

export function runPytorchPeer(
  python: string,
  shape: { inputSize: number; batch: number; threads: number; steps: number; step: { lr: number; weightDecay: number } },
): PytorchRow {
  const args = [
    SCRIPT,
    ["--input-size", shape.inputSize],
    ["--batch", shape.batch],
    ["--threads", shape.threads],
    ["--steps", shape.steps],
    ["--classes", HIWL_CLASSES.length],
    ["--infer-batch", INFERENCE_BATCH],
    ["--lr", shape.step.lr],
    ["--weight-decay", shape.step.weightDecay],
  ].flat().map(String);
  const run = spawnSync(python, args, { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`PyTorch peer failed (${python} ${args.join(" ")}): ${run.stderr.trim() || `exit ${run.status}`}`);
  const row = JSON.parse(run.stdout.trim().split("\n").at(-1)!) as PytorchRow & { batch: number };
  return { torch: row.torch, threads: row.threads, trainImagesPerSec: row.trainImagesPerSec, inferImagesPerSec: row.inferImagesPerSec };
}
