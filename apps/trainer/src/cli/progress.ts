/** Progress bars for long CLI work (cli-progress), quiet when stdout is not a terminal. */
import cliProgress from "cli-progress";

export interface Progress {
  update(done: number, total: number, payload?: Record<string, string | number>): void;
  stop(): void;
}

export function progressBar(title: string, extra = ""): Progress {
  const bar = new cliProgress.SingleBar(
    {
      format: `${title.padEnd(18)} {bar} {percentage}% | {value}/{total} | ETA {eta_formatted}${extra}`,
      hideCursor: true,
      noTTYOutput: false,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, payload = {}) {
      if (!started) {
        bar.start(total, done, payload);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** One bar per phase, e.g. "images" then "database". */
export function phasedProgress(): { onProgress: (phase: string, done: number, total: number) => void; stop(): void } {
  let phase = "";
  let bar: Progress | undefined;
  return {
    onProgress(next, done, total) {
      if (next !== phase) {
        bar?.stop();
        phase = next;
        bar = progressBar(next);
      }
      bar!.update(done, total);
    },
    stop: () => bar?.stop(),
  };
}
