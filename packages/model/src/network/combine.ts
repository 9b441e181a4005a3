/**
 * The networks a model ships (one per level of labels/hierarchy.ts) and how the two-level
 * classifier's outputs become one 5-class probability: P1 for the unmerged classes,
 * P1(merged) x P2 for cigar and edge-on.
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { LEVEL2_CLASSES, OUTPUT_INDEX, type Level } from "../labels/hierarchy.ts";

export type Networks = Partial<Record<Level, tfl.LayersModel>>;

// Gather indices that expand [N,4] and [N,2 + a column of ones] to [N,5] so that one
// element-wise product gives the combined probabilities.
const LEVEL1_GATHER = OUTPUT_INDEX.level1.map((i) => i!);
const LEVEL2_GATHER = OUTPUT_INDEX.level2.map((i) => i ?? LEVEL2_CLASSES.length);

/** P(class) for the five HIWL classes from level-1 [N,4] and level-2 [N,2] probabilities. */
export function combineHierarchy(p1: tf.Tensor2D, p2: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const ones = tf.ones([p2.shape[0], 1]);
    const level1 = tf.gather(p1, LEVEL1_GATHER, 1);
    const level2 = tf.gather(tf.concat([p2, ones], 1), LEVEL2_GATHER, 1);
    return tf.mul<tf.Tensor2D>(level1, level2);
  });
}
