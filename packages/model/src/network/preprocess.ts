/**
 * HIWL's preprocessing, shared by the trainer and the browser so both feed the network the
 * same pixels. The authors work on 424x424 Kaggle cutouts: training takes the central 256,
 * rotates it by up to 25 degrees, takes a random square crop of 90-100% of its area resized
 * to 240 and flips it at random; testing takes the central 240. Crops are kept as fractions of
 * the cutout's side so that any cutout size and any network input size get the same field of
 * view. Pixels go to [0, 1] and are normalised with the authors' per-channel mean and std.
 *
 * Every view (crop, rotation, offset, flips, resize) is one affine map from output to source
 * pixels, sampled with tf.image.transform, so an augmented image costs one resampling.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Rng } from "../random.ts";

export interface Preprocessing {
  /** Side of the training crop as a fraction of the cutout's side (256 of 424). */
  trainCropRatio: number;
  /** Side of the test crop as a fraction of the cutout's side (240 of 424). */
  testCropRatio: number;
  /** Training rotations are uniform in [-rotationDegrees, rotationDegrees]. */
  rotationDegrees: number;
  /** Area of the random crop as a fraction of the training crop. */
  cropScale: [min: number, max: number];
  horizontalFlip: boolean;
  verticalFlip: boolean;
  /** Per-channel RGB statistics of [0, 1] pixels. */
  mean: [number, number, number];
  std: [number, number, number];
}

export const PREPROCESSING: Preprocessing = {
  trainCropRatio: 256 / 424,
  testCropRatio: 240 / 424,
  rotationDegrees: 25,
  cropScale: [0.9, 1.0],
  horizontalFlip: true,
  verticalFlip: true,
  mean: [0.046, 0.041, 0.03],
  std: [0.09, 0.075, 0.065],
};

/**
 * One view of a cutout. The crop is square (the authors' crop varies the area only) and its
 * centre is offset from the cutout's centre in the rotated frame, as when cropping an
 * already rotated image.
 */
export interface View {
  /** Rotation in radians. */
  angle: number;
  /** Side of the crop as a fraction of the cutout's side. */
  cropRatio: number;
  /** Offset of the crop centre from the cutout centre, as fractions of the cutout's side. */
  offsetX: number;
  offsetY: number;
  flipHorizontal: boolean;
  flipVertical: boolean;
}

export function testView(p: Preprocessing = PREPROCESSING): View {
  return { angle: 0, cropRatio: p.testCropRatio, offsetX: 0, offsetY: 0, flipHorizontal: false, flipVertical: false };
}

export function sampleTrainingView(rng: Rng, p: Preprocessing = PREPROCESSING): View {
  const uniform = (lo: number, hi: number) => lo + (hi - lo) * rng();
  const angle = (uniform(-p.rotationDegrees, p.rotationDegrees) * Math.PI) / 180;
  const cropRatio = p.trainCropRatio * Math.sqrt(uniform(p.cropScale[0], p.cropScale[1]));
  const slack = (p.trainCropRatio - cropRatio) / 2;
  return {
    angle,
    cropRatio,
    offsetX: uniform(-slack, slack),
    offsetY: uniform(-slack, slack),
    flipHorizontal: p.horizontalFlip && rng() < 0.5,
    flipVertical: p.verticalFlip && rng() < 0.5,
  };
}

/**
 * The tf.image.transform row mapping output pixel (x, y) of an outSize image to the source:
 * centre the output pixel, flip, scale to crop pixels, shift by the crop offset, then undo the
 * rotation about the cutout centre. Pixel centres sit at integer coordinates, as in the kernel.
 */
function viewTransform(view: View, height: number, width: number, outSize: number): number[] {
  const side = Math.min(height, width);
  const k = (view.cropRatio * side) / outSize;
  const m = (outSize - 1) / 2;
  const sx = (view.flipHorizontal ? -1 : 1) * k;
  const sy = (view.flipVertical ? -1 : 1) * k;
  const dx = view.offsetX * side - sx * m;
  const dy = view.offsetY * side - sy * m;
  const c = Math.cos(view.angle);
  const s = Math.sin(view.angle);
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  return [c * sx, s * sy, cx + c * dx + s * dy, -s * sx, c * sy, cy - s * dx + c * dy, 0, 0];
}

/**
 * Halves the images (an exact 2x2 average with half-pixel centres) while even the smallest crop
 * would still span twice the output: bilinear sampling alone skips pixels when shrinking more
 * than 2x, and the 424-pixel cutouts become 64-pixel inputs.
 */
function downscaleFor(images: tf.Tensor4D, smallestCropRatio: number, outSize: number): tf.Tensor4D {
  let out = images;
  while (Math.min(out.shape[1], out.shape[2]) * smallestCropRatio >= 2 * outSize) {
    out = tf.image.resizeBilinear(out, [Math.floor(out.shape[1] / 2), Math.floor(out.shape[2] / 2)], false, true);
  }
  return out;
}

/**
 * Renders views of a batch of cutouts [N,H,W,3] at outSize and normalises them. tfjs has no
 * uint8 dtype: int32 images (tf.browser.fromPixels, image decoders) are read as 0-255, float
 * images as already in [0, 1].
 */
export function renderViews(
  images: tf.Tensor4D,
  views: readonly View[],
  outSize: number,
  p: Preprocessing = PREPROCESSING,
): tf.Tensor4D {
  if (views.length !== images.shape[0]) throw new Error(`${images.shape[0]} images but ${views.length} views`);
  return tf.tidy(() => {
    const unit = images.dtype === "int32" ? tf.div(tf.cast(images, "float32"), 255) : images;
    const source = downscaleFor(unit as tf.Tensor4D, Math.min(...views.map((v) => v.cropRatio)), outSize);
    const [, height, width] = source.shape;
    // One image per call: the cpu backend's Transform kernel (tfjs 4.22) returns after the
    // first image of a batch and leaves the others at the fill value.
    const rendered = tf.unstack(source).map((image, i) =>
      tf.image.transform(
        tf.expandDims<tf.Tensor4D>(image, 0),
        tf.tensor2d([viewTransform(views[i]!, height, width, outSize)]),
        "bilinear",
        "constant",
        0,
        [outSize, outSize],
      ),
    );
    return tf.div<tf.Tensor4D>(tf.sub(tf.concat(rendered, 0), p.mean), p.std);
  });
}

/** The network input for one cutout [H,W,3] or a batch [N,H,W,3]: central test crop, no augmentation. */
export function preprocessForInference(image: tf.Tensor3D, inputSize: number, p?: Preprocessing): tf.Tensor3D;
export function preprocessForInference(images: tf.Tensor4D, inputSize: number, p?: Preprocessing): tf.Tensor4D;
export function preprocessForInference(
  images: tf.Tensor3D | tf.Tensor4D,
  inputSize: number,
  p: Preprocessing = PREPROCESSING,
): tf.Tensor3D | tf.Tensor4D {
  return tf.tidy(() => {
    const batch = images.rank === 3 ? tf.expandDims<tf.Tensor4D>(images, 0) : (images as tf.Tensor4D);
    const out = renderViews(batch, new Array<View>(batch.shape[0]).fill(testView(p)), inputSize, p);
    return images.rank === 3 ? tf.squeeze<tf.Tensor3D>(out, [0]) : out;
  });
}

/**
 * Randomly augmented network inputs for a batch of cutouts [N,H,W,3]. The rotation is applied to
 * the whole cutout, so the corners of a rotated crop show sky instead of the black fill the
 * authors got from rotating the 256 crop itself; the field of view is otherwise the same.
 */
export function augmentBatch(
  images: tf.Tensor4D,
  inputSize: number,
  rng: Rng,
  p: Preprocessing = PREPROCESSING,
): tf.Tensor4D {
  const views = Array.from({ length: images.shape[0] }, () => sampleTrainingView(rng, p));
  return renderViews(images, views, inputSize, p);
}
