/**
 * Where a step's work goes: kernels run (every backend), compute passes dispatched (webgpu),
 * and the time of each kernel kind as the backend measures it (GPU timestamp queries on
 * webgpu where the adapter has them). On a GPU each dispatch costs JavaScript bookkeeping
 * whatever its size, so the count, not only the kernels' speed, bounds a training step
 * (docs/gpu.md).
 */
import * as tf from "@tensorflow/tfjs-core";

export interface StepProfile {
  kernels: number;
  /** Compute passes dispatched (webgpu); null on backends that dispatch none. */
  dispatches: number | null;
  /** Per kernel name, slowest first; ms is null where the backend could not time it. */
  byKernel: Array<{ name: string; count: number; ms: number | null }>;
}

interface WebGPULike {
  runWebGPUProgram?: (...args: unknown[]) => unknown;
}

export async function profileStep(run: () => Promise<unknown>): Promise<StepProfile> {
  const backend = tf.backend() as unknown as WebGPULike;
  const dispatch = backend.runWebGPUProgram;
  let dispatches = 0;
  if (dispatch) {
    // An own property over the prototype's method, deleted afterwards.
    backend.runWebGPUProgram = function (this: unknown, ...args: unknown[]) {
      dispatches++;
      return dispatch.apply(this, args);
    };
  }
  let info: Awaited<ReturnType<typeof tf.profile>>;
  try {
    info = await tf.profile(async () => {
      await run();
      return [];
    });
  } finally {
    if (dispatch) delete backend.runWebGPUProgram;
  }
  const byName = new Map<string, { name: string; count: number; ms: number | null }>();
  for (const kernel of info.kernels) {
    const entry = byName.get(kernel.name) ?? { name: kernel.name, count: 0, ms: 0 };
    entry.count++;
    const ms = kernel.kernelTimeMs;
    entry.ms = typeof ms === "number" && entry.ms !== null ? entry.ms + ms : null;
    byName.set(kernel.name, entry);
  }
  const byKernel = [...byName.values()].sort((a, b) => (b.ms ?? -1) - (a.ms ?? -1) || b.count - a.count);
  return { kernels: info.kernels.length, dispatches: dispatch ? dispatches : null, byKernel };
}
