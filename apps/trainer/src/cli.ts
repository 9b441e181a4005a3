/**
 * `hiwl`: the researchers' command line. Each command group lives in commands/; this file
 * only assembles them and turns errors into one readable line and a non-zero exit.
 */
import { Command } from "commander";
import { registerBench } from "./commands/bench.ts";
import { registerDb } from "./commands/db.ts";
import { registerEvaluate } from "./commands/evaluate.ts";
import { registerImports } from "./commands/imports.ts";
import { registerPredict } from "./commands/predict.ts";
import { registerResearcher } from "./commands/researcher.ts";
import { registerSeed } from "./commands/seed.ts";
import { registerTrain } from "./commands/train.ts";
import { registerVolunteer } from "./commands/volunteer.ts";
import { registerWatch } from "./commands/watch.ts";

const program = new Command("hiwl")
  .description("HIWL galaxy classification platform: data, training and the active-learning loop")
  .showHelpAfterError();

registerDb(program);
registerResearcher(program);
registerVolunteer(program);
registerSeed(program);
registerImports(program);
registerTrain(program);
registerEvaluate(program);
registerPredict(program);
registerBench(program);
registerWatch(program);

try {
  await program.parseAsync();
  process.exit(0);
} catch (err) {
  console.error(`hiwl: ${err instanceof Error ? err.message : String(err)}`);
  if (process.env.HIWL_DEBUG && err instanceof Error) console.error(err.stack);
  process.exit(1);
}
