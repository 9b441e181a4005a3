/**
 * The first preprocessing step, from a decoded image to the small square cutout that training
 * caches and that views are rendered from. It is plain JavaScript arithmetic on bytes, not a
 * library resize or a GPU op, so the trainer (images decoded by sharp) and the browser (images
 * decoded by the page) compute the same bytes from the same pixels.
 */
import * as tf from "@tensorflow/tfjs-core";
import { PREPROCESSING, preprocessForInference, type Preprocessing } from "./preprocess.ts";

/** Decoded pixels, row-major, 3 (RGB) or 4 (RGBA, as a canvas gives them) bytes per pixel. */
export interface DecodedImage {
  width: number;
  height: number;
  channels: 3 | 4;
  data: ArrayLike<number>;
}

/**
 * Side of the cutout for `inputSize` network inputs: just large enough that neither the test
 * crop nor the smallest training crop is upsampled on its way to the network.
 */
export function cutoutSide(inputSize: number, p: Preprocessing = PREPROCESSING): number {
  return Math.ceil(inputSize / Math.min(p.testCropRatio, p.trainCropRatio * Math.sqrt(p.cropScale[0])));
}

/**
 * The central square of the image (the crops are fractions of the shorter side, centred)
 * resampled to side x side RGB bytes by area averaging: each output pixel is the mean of the
 * source area it covers, counting partly covered pixels by their covered fraction. Averaging
 * keeps faint structure that point sampling would alias away when 424 pixels become ~114.
 */
export function toCutout(image: DecodedImage, side: number): Uint8Array {
  const { width, height, channels, data } = image;
  if (data.length !== width * height * channels) {
    throw new Error(`image of ${width}x${height}x${channels} has ${data.length} values, expected ${width * height * channels}`);
  }
  const square = Math.min(width, height);
  const left = Math.floor((width - square) / 2);
  const top = Math.floor((height - square) / 2);
  const spans = coverage(square, side);

  // Rows first: the square's rows averaged across into `side` columns.
  const rows = new Float64Array(square * side * 3);
  for (let y = 0; y < square; y++) {
    const row = ((top + y) * width + left) * channels;
    for (let x = 0; x < side; x++) {
      const { start, weights } = spans[x]!;
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < weights.length; k++) {
        const at = row + (start + k) * channels;
        const w = weights[k]!;
        r += w * data[at]!;
        g += w * data[at + 1]!;
        b += w * data[at + 2]!;
      }
      const out = (y * side + x) * 3;
      rows[out] = r;
      rows[out + 1] = g;
      rows[out + 2] = b;
    }
  }

  const cutout = new Uint8Array(side * side * 3);
  for (let y = 0; y < side; y++) {
    const { start, weights } = spans[y]!;
    for (let x = 0; x < side; x++) {
      for (let c = 0; c < 3; c++) {
        let v = 0;
        for (let k = 0; k < weights.length; k++) v += weights[k]! * rows[((start + k) * side + x) * 3 + c]!;
        cutout[(y * side + x) * 3 + c] = Math.min(255, Math.max(0, Math.round(v)));
      }
    }
  }
  return cutout;
}

/**
 * The network input [1, inputSize, inputSize, 3] for one decoded image, as training and scoring
 * see it: the cached cutout's bytes, then the central test view.
 */
export function inferenceInput(image: DecodedImage, inputSize: number, p: Preprocessing = PREPROCESSING): tf.Tensor4D {
  const side = cutoutSide(inputSize, p);
  const cutout = tf.tensor4d(Int32Array.from(toCutout(image, side)), [1, side, side, 3], "int32");
  try {
    return preprocessForInference(cutout, inputSize, p);
  } finally {
    cutout.dispose();
  }
}

/** For each of `to` output pixels, the first source pixel it covers and the normalised weights. */
function coverage(from: number, to: number): { start: number; weights: number[] }[] {
  const scale = from / to;
  return Array.from({ length: to }, (_, i) => {
    const lo = i * scale;
    const hi = (i + 1) * scale;
    const start = Math.floor(lo);
    const end = Math.min(from, Math.ceil(hi));
    const weights: number[] = [];
    for (let j = start; j < end; j++) weights.push((Math.min(hi, j + 1) - Math.max(lo, j)) / scale);
    return { start, weights };
  });
}
