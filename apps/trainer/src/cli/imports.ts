import type { Command } from "commander";
import { type ImportResult, importFolderCatalog, importKaggle, parseLabelMap } from "@hiwl/catalog";
import { db } from "@hiwl/db";
import { phasedProgress } from "./progress.ts";

function report(result: ImportResult) {
  console.log(`${result.source}: ${result.added} galaxies added, ${result.skipped} already present`);
}

export function registerImports(program: Command) {
  const imports = program.command("import").description("import a catalogue of real galaxies (atomic and idempotent)");

  imports
    .command("kaggle")
    .description("Galaxy Zoo Challenge format: GalaxyID + 37 vote-fraction columns, images <GalaxyID>.jpg")
    .requiredOption("--solutions <file>", "training_solutions_rev1.csv")
    .requiredOption("--images <dir>", "folder of <GalaxyID>.jpg images")
    .option("--tolerance <x>", "allowed deviation of a question's sum from the tree", parseFloat, 0.02)
    .action(async (opts: { solutions: string; images: string; tolerance: number }) => {
      const progress = phasedProgress();
      try {
        report(await importKaggle(db(), { ...opts, onProgress: progress.onProgress }));
      } finally {
        progress.stop();
      }
    });

  imports
    .command("catalog")
    .description("any folder of images with a CSV of labels")
    .requiredOption("--images <dir>", "folder of <id>.jpg|.jpeg|.png images")
    .requiredOption("--labels <file>", "CSV with a header row")
    .requiredOption("--id-column <name>", "column holding the image id (file name without extension)")
    .requiredOption("--label-column <name>", "column holding the catalogue label")
    .option(
      "--map <from=to,...>",
      "catalogue label -> round|in-between|cigar|edge-on|spiral|smooth (repeatable); unmapped labels are imported unlabelled",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option("--source <name>", "source name stored with each galaxy (default: catalog:<folder of the labels file>)")
    .action(
      async (opts: { images: string; labels: string; idColumn: string; labelColumn: string; map: string[]; source?: string }) => {
        const progress = phasedProgress();
        try {
          report(await importFolderCatalog(db(), { ...opts, map: parseLabelMap(opts.map), onProgress: progress.onProgress }));
        } finally {
          progress.stop();
        }
      },
    );
}
