/**
 * Paints an attention map in [0, 1] as a coloured, partly transparent layer to lay over the
 * galaxy: where the model does not look stays clear, so the galaxy shows through.
 */

/** Inferno's anchors (matplotlib): dark for weak attention, yellow-white for strong. */
const INFERNO: readonly [number, number, number][] = [
  [0, 0, 4],
  [40, 11, 84],
  [101, 21, 110],
  [159, 42, 99],
  [212, 72, 66],
  [245, 125, 21],
  [250, 193, 39],
  [252, 255, 164],
];

function colormap(value: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, value)) * (INFERNO.length - 1);
  const i = Math.min(INFERNO.length - 2, Math.floor(x));
  const t = x - i;
  const [a, b] = [INFERNO[i]!, INFERNO[i + 1]!];
  return [0, 1, 2].map((c) => Math.round(a[c]! + (b[c]! - a[c]!) * t)) as [number, number, number];
}

const LUT = Array.from({ length: 256 }, (_, i) => colormap(i / 255));

/** Strongest attention at this opacity: the galaxy stays visible under the hottest spot. */
const MAX_ALPHA = 0.75;

/** Draws a side x side map (row-major) on the canvas, resizing the canvas to match. */
export function drawHeatmap(canvas: HTMLCanvasElement, values: Float32Array, side: number): void {
  canvas.width = side;
  canvas.height = side;
  const context = canvas.getContext("2d");
  if (!context) throw new Error("no 2D canvas context");
  const image = context.createImageData(side, side);
  values.forEach((v, i) => {
    const level = Math.round(255 * Math.min(1, Math.max(0, v)));
    image.data.set([...LUT[level]!, Math.round(level * MAX_ALPHA)], i * 4);
  });
  context.putImageData(image, 0, 0);
}
