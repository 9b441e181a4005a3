// The science without TensorFlow.js: the decision tree, vote fractions, classes and training
// targets, active learning. The networks, inference and training are ./network, ./inference
// and ./training.
export * from "./tree/decision-tree.ts";
export * from "./tree/vote-fractions.ts";
export * from "./labels/classes.ts";
export * from "./labels/hierarchy.ts";
export * from "./labels/targets.ts";
export * from "./labels/class-sets.ts";
export * from "./labels/reliability.ts";
export * from "./training/metrics.ts";
// Calibration is plain arithmetic on probabilities: the site's pages use it without the networks.
export * from "./inference/calibration.ts";
export * from "./random.ts";
export { METADATA_FILE } from "./network/files.ts";
export * from "./active-learning/acquisition.ts";
export * from "./active-learning/retirement.ts";
