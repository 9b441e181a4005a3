import { getPriority, hostname, setPriority } from "node:os";
import { Option, type Command } from "commander";
import { dataDir, db, retirementRules } from "@hiwl/db";
import { ACQUISITION_FUNCTIONS, type AcquisitionFunction } from "@hiwl/model";
import { addModelOptions, modelConfig, presetHelp, type ModelCliOptions } from "./model-options.ts";
import { integer, onOff, positiveNumber } from "./option-parsers.ts";
import { DEFAULT_PRESET, presetScoring } from "../training/presets.ts";
import { formatScoreSummary } from "../worker/scoring.ts";
import { TrainingWorker, type WorkerEvent } from "../worker/worker.ts";

interface WatchCliOptions extends ModelCliOptions {
  every: number;
  interval?: number;
  firstModel: boolean;
  acquisition?: AcquisitionFunction;
  passes?: number;
  perVote?: boolean;
  poll: number;
  staleAfter: number;
  workerId: string;
  nice: number;
}

/**
 * How much the worker lowers its CPU priority by default: to the lowest. Training keeps a core
 * busy for minutes; on a machine it shares with a web server, volunteers' requests must come
 * first, and the worker has the rest (bench:load on 2 cores, docs/benchmarks.md).
 */
const DEFAULT_NICE = 19;

export function registerWatch(program: Command) {
  const defaultScoring = presetScoring(DEFAULT_PRESET);
  const command = program
    .command("watch")
    .description(
      "the training worker: runs queued training jobs, queues one after --every new classifications (or every --interval minutes), " +
        "activates a new model only if it is at least as accurate as the active one on its held-out galaxies, " +
        "and only once it has rescored the active galaxies for the queue",
    )
    .option("--every <n>", "queue a training job after this many new classifications (0: never)", integer("--every"), 200)
    .option("--interval <minutes>", "also queue one when the newest job is this old", positiveNumber("--interval"))
    .option("--no-first-model", "do not queue a job at once when there is no model and no job yet")
    .addOption(
      new Option("--acquisition <fn>", `acquisition function for the queue priorities${presetHelp(DEFAULT_PRESET, defaultScoring.acquisition)}`).choices(
        ACQUISITION_FUNCTIONS,
      ),
    )
    .option(
      "--passes <T>",
      `forward passes per galaxy when scoring, MC dropout on when more than 1; BALD needs 2 or more, bench:al used 8${presetHelp(DEFAULT_PRESET, defaultScoring.passes)}`,
      integer("--passes", 1),
    )
    .option(
      "--per-vote <on|off>",
      `order the queue by acquisition score per vote the galaxy is expected to take before it retires${presetHelp(DEFAULT_PRESET, defaultScoring.perVote ? "on" : "off")}`,
      onOff("--per-vote"),
    )
    .option("--poll <seconds>", "how often to look for queued jobs", positiveNumber("--poll"), 5)
    .option("--stale-after <seconds>", "fail running jobs whose worker has been silent this long", positiveNumber("--stale-after"), 120)
    .option("--worker-id <id>", "this worker's name in the jobs it runs", `${hostname()}:${process.pid}`)
    .option(
      "--nice <n>",
      "lower this worker's CPU priority by n (up to 19), so that web servers on the same machine answer volunteers first; 0 keeps it",
      integer("--nice"),
      DEFAULT_NICE,
    );
  // The model options are the defaults of every job; the dashboard's jobs carry none of their own.
  addModelOptions(command, DEFAULT_PRESET, { choosable: true }).action(async (opts: WatchCliOptions) => {
    if (opts.nice > 0) setPriority(Math.min(19, getPriority() + opts.nice));
    const training = modelConfig(opts, DEFAULT_PRESET);
    const scoring = presetScoring(training.preset);
    const acquisition = opts.acquisition ?? scoring.acquisition;
    const passes = opts.passes ?? scoring.passes;
    const perVote = opts.perVote ?? scoring.perVote;
    const worker = new TrainingWorker(db(), {
      workerId: opts.workerId,
      dataDir: dataDir(),
      training: { ...training, backend: opts.backend },
      scoring: { acquisition, passes, perVote, retirement: retirementRules() },
      every: opts.every === 0 ? null : opts.every,
      intervalMinutes: opts.interval ?? null,
      firstModel: opts.firstModel,
      pollMs: opts.poll * 1000,
      staleAfterMs: opts.staleAfter * 1000,
      log: (line) => console.log(line),
      onEvent: (event) => console.log(describe(event)),
    });
    // Repeated signals are expected, not impatience: Ctrl-C under `npm start` reaches this
    // process both from the terminal and from the start script.
    const onSignal = (signal: NodeJS.Signals) => {
      console.log(`${signal}: stopping; a running job stops at its next step and is marked failed`);
      worker.stop(`the worker was stopped (${signal})`);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    console.log(
      `hiwl watch ${opts.workerId}: training jobs ${opts.every > 0 ? `after every ${opts.every} classifications` : "as queued"}` +
        `${opts.interval ? `, at least every ${opts.interval} min` : ""} with the ${training.preset} preset; scoring with ${acquisition}${perVote ? " per expected vote to retirement" : ""}, ${passes} pass(es)`,
    );
    await worker.run();
  });
}

function describe(event: WorkerEvent): string {
  switch (event.type) {
    case "stale":
      return `failed ${event.count} job(s) whose worker stopped sending heartbeats`;
    case "queued":
      return `queued job ${event.job.id}: ${event.job.reason}`;
    case "claimed":
      return `job ${event.job.id}: started${event.job.reason ? ` (${event.job.reason})` : ""}`;
    case "trained": {
      const accuracy = (100 * event.result.metrics.accuracy).toFixed(2);
      return `job ${event.job.id}: trained ${event.result.version}, test accuracy ${accuracy}%; comparing with the active model`;
    }
    case "decided":
      return `job ${event.job.id}: ${event.decision.activate ? "activating" : "not activating"}: ${event.decision.reason}`;
    case "scored":
      return `job ${event.job.id}: scored ${event.scoring.scored} active galaxies; switching`;
    case "activated":
      return `job ${event.job.id}: ${event.modelVersion.version} is now the active model`;
    case "finished": {
      const { outcome } = event;
      if (outcome.status === "failed") return `job ${outcome.job.id}: failed: ${outcome.error}`;
      const { version } = outcome.modelVersion;
      if (outcome.scoring === null) return `job ${outcome.job.id}: succeeded: ${version} stays inactive: ${outcome.activation.reason}`;
      return `job ${outcome.job.id}: succeeded: ${version} is active (${outcome.activation.reason}); ${formatScoreSummary(outcome.scoring)}`;
    }
  }
}
