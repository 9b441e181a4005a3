/**
 * A worker thread spoken to one request at a time: each message sent is answered by exactly
 * one message back, or by the thread's error, which also fails every later request.
 */
import type { Worker } from "node:worker_threads";
import { startThread } from "../thread.ts";

export class WorkerChannel<Request, Reply extends { type: string }> {
  private waiting: { resolve: (m: Reply) => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;
  readonly worker: Worker;

  /** Runs the TypeScript module `module`; `name` says whose failure it is in errors ("training replica"). */
  constructor(module: URL, workerData: unknown, private readonly name: string) {
    this.worker = startThread(module, workerData);
    this.worker.on("message", (message: Reply | { type: "error"; error: string }) => {
      const waiting = this.waiting;
      this.waiting = null;
      if (message.type === "error") this.fail(new Error(`${name}: ${(message as { error: string }).error}`));
      else waiting?.resolve(message as Reply);
    });
    this.worker.on("error", (error) => this.fail(new Error(`${name} crashed: ${error.message}`, { cause: error })));
    this.worker.on("exit", (code) => this.fail(new Error(`${name} exited (code ${code})`)));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.waiting?.reject(this.failure);
    this.waiting = null;
  }

  /** The thread's next message (after sending `message`, if given), checked to be of `type`. */
  async next<T extends Reply["type"]>(type: T, message?: Request, transfer: ArrayBuffer[] = []): Promise<Extract<Reply, { type: T }>> {
    if (this.failure) throw this.failure;
    const reply = new Promise<Reply>((resolve, reject) => (this.waiting = { resolve, reject }));
    if (message !== undefined) this.worker.postMessage(message, transfer);
    const answer = await reply;
    if (answer.type !== type) throw new Error(`${this.name} answered ${answer.type}, expected ${type}`);
    return answer as Extract<Reply, { type: T }>;
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}
