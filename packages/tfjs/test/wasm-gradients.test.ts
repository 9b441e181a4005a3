import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { compareWithCpu, convCases, describeCase } from "./conv-cases.ts";
import { trainsSmallNet } from "./helpers.ts";
import { install, selectBackend } from "../src/index.ts";
import { describeAdapter, isSoftwareAdapter } from "../src/backend.ts";

beforeAll(async () => {
  install();
  await selectBackend({ backend: "wasm" });
  await tf.setBackend("cpu");
});

describe("wasm gradient kernels match the cpu backend", { timeout: 120_000 }, () => {
  for (const c of convCases()) {
    const depthwiseCase = c.multiplier > 1;
    if (!depthwiseCase) {
      it(`conv2d ${describeCase(c)}`, () =>
        compareWithCpu("wasm", c, false, (x, w) => tf.conv2d(x, w, c.stride, c.pad)));
      it(`fused.conv2d ${describeCase(c)}`, () =>
        compareWithCpu("wasm", c, false, (x, w) =>
          tf.fused.conv2d({ x, filter: w, strides: c.stride, pad: c.pad, activation: "relu" }),
        ));
    }
    it(`depthwiseConv2d ${describeCase(c)} multiplier ${c.multiplier}`, () =>
      compareWithCpu("wasm", c, true, (x, w) => tf.depthwiseConv2d(x, w, c.stride, c.pad)));
    it(`fused.depthwiseConv2d ${describeCase(c)} multiplier ${c.multiplier}`, () =>
      compareWithCpu("wasm", c, true, (x, w) =>
        tf.fused.depthwiseConv2d({ x, filter: w, strides: c.stride, pad: c.pad, activation: "relu" }),
      ));
  }
});

describe("training on wasm", { timeout: 300_000 }, () => {
  it("trains a small tfjs-layers net with decreasing loss and no tensor leak", async () => {
    await tf.setBackend("wasm");
    await trainsSmallNet();
  });
});

describe("selectBackend", { timeout: 60_000 }, () => {
  it("picks wasm here and says why each faster backend was skipped", async () => {
    const logged: string[] = [];
    const selected = await selectBackend({ backend: "auto", log: (line) => logged.push(line) });
    expect(selected.backend).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
    expect(selected.reasons).toHaveLength(3);
    expect(selected.reasons[0]).toMatch(/^tfjs-node-gpu: .*not installed/);
    expect(selected.reasons[1]).toMatch(/^tfjs-node: .*not installed/);
    expect(selected.reasons[2]).toMatch(/^webgpu: /);
    expect(logged.join("\n")).toContain("using wasm (tfjs-node-gpu: ");
  });

  it("tells software rasterisers from GPUs by what the adapter says of itself, and names the adapter", () => {
    // As Dawn reports Mesa's lavapipe, SwiftShader and two real GPUs.
    const lavapipe = { vendor: "mesa", architecture: "", device: "llvmpipe (LLVM 19.1.7, 256 bits)", description: "Mesa 25.0.7" };
    const swiftshader = { vendor: "google", architecture: "swiftshader", device: "", description: "SwiftShader Device (Subzero)" };
    const software = { vendor: "mesa", architecture: "software", device: "", description: "" };
    const h200 = { vendor: "nvidia", architecture: "hopper", device: "NVIDIA H200", description: "NVIDIA: 565.57" };
    const radeon = { vendor: "amd", architecture: "rdna-3", device: "", description: "Radeon RX 7900" };
    expect([lavapipe, swiftshader, software, h200, radeon].map(isSoftwareAdapter)).toEqual([true, true, true, false, false]);
    expect([lavapipe, h200, radeon, {}].map(describeAdapter)).toEqual([
      "mesa (llvmpipe (LLVM 19.1.7, 256 bits))",
      "nvidia hopper (NVIDIA H200)",
      "amd rdna-3 (Radeon RX 7900)",
      "unnamed adapter",
    ]);
  });

  it("throws a clear error when an explicitly requested backend is unavailable", async () => {
    await expect(selectBackend({ backend: "tfjs-node" })).rejects.toThrow(
      /backend 'tfjs-node' is unavailable: .*not installed/,
    );
  });
});
