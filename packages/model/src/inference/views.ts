/**
 * Test-time augmentation over the dihedral group of the square cutout (Dieleman et al. 2015):
 * a galaxy has no up and no handedness the classes depend on, so the network's answers for the
 * 4 rotations and their mirror images are 8 estimates of the same thing, and their mean is a
 * better one than any of them.
 */
import * as tf from "@tensorflow/tfjs-core";

/** Views a model may average: the cutout alone, or the whole dihedral group. */
export const VIEW_COUNTS = [1, 8] as const;
export type ViewCount = (typeof VIEW_COUNTS)[number];

/** [N, H, W, C] -> [views x N, H, W, C]: the images as they are, then each other view, view-major. */
export function dihedralViews(x: tf.Tensor4D, views: ViewCount): tf.Tensor4D {
  if (views === 1) return x;
  return tf.tidy(() => {
    // Transposing H and W mirrors across the diagonal; with the three flips of each that is all 8.
    const t = tf.transpose(x, [0, 2, 1, 3]);
    return tf.concat([x, tf.reverse(x, 1), tf.reverse(x, 2), tf.reverse(x, [1, 2]), t, tf.reverse(t, 1), tf.reverse(t, 2), tf.reverse(t, [1, 2])]);
  });
}

/** [views x N, F] -> [N, F]: each image's mean over its views (dihedralViews' order). */
export function meanOverViews(rows: tf.Tensor2D, views: ViewCount): tf.Tensor2D {
  if (views === 1) return rows;
  return tf.tidy(() => tf.mean<tf.Tensor2D>(tf.reshape(rows, [views, rows.shape[0] / views, rows.shape[1]]), 0));
}
