/**
 * `hiwl`: the researchers' command line. Each command group has a module beside this one (the benchmarks theirs in ../bench/); this file
 * only assembles them and turns errors into one readable line and a non-zero exit.
 */
import { Command } from "commander";
import { registerBench } from "../bench/commands.ts";
import { registerDb } from "./db.ts";
import { registerEvaluate } from "./evaluate.ts";
import { registerGold } from "./gold.ts";
import { registerImports } from "./imports.ts";
import { registerPredict } from "./predict.ts";
import { registerPretrain } from "./pretrain.ts";
import { registerResearcher } from "./researcher.ts";
import { registerSeed } from "./seed.ts";
import { registerTrain } from "./train.ts";
import { registerVolunteer } from "./volunteer.ts";
import { registerWatch } from "./watch.ts";

const program = new Command("hiwl")
  .description("HIWL galaxy classification platform: data, training and the active-learning loop")
  .showHelpAfterError();

registerDb(program);
registerResearcher(program);
registerVolunteer(program);
registerSeed(program);
registerImports(program);
registerGold(program);
registerPretrain(program);
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
