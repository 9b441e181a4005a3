/**
 * The convolution-gradient cases the kernel benchmarks time: one kernel call at an
 * EfficientNet shape with 'same' padding, and the table they print.
 */
import * as tf from "@tensorflow/tfjs-core";

type Shape4 = [number, number, number, number];

export interface Case {
  kernel: string;
  label: string;
  inputs: Record<string, number[]>;
  attrs: Record<string, unknown>;
}

export function conv(
  kernel: string,
  x: Shape4,
  k: number,
  outChannels: number,
  stride: number,
  depthwise: boolean,
): Case {
  const filterShape: Shape4 = depthwise ? [k, k, x[3], 1] : [k, k, x[3], outChannels];
  const info = tf.backend_util.computeConv2DInfo(x, filterShape, stride, 1, "same", undefined, depthwise);
  const label = `${k}x${k} s${stride} x[${x.join(",")}]${depthwise ? "" : ` co=${outChannels}`}`;
  const common = { strides: stride, pad: "same", dataFormat: "NHWC", dilations: 1 };
  switch (kernel) {
    case tf.Conv2DBackpropFilter:
    case tf.DepthwiseConv2dNativeBackpropFilter:
      return { kernel, label, inputs: { x, dy: info.outShape }, attrs: { ...common, filterShape } };
    default:
      return { kernel, label, inputs: { dy: info.outShape, filter: filterShape }, attrs: { ...common, inputShape: x } };
  }
}

export function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join("  "));
}
