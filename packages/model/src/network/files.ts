/**
 * The files of a model version directory: metadata.json, then one folder per network with
 * its model.json and weights.bin. Apart from export.ts so that code without TensorFlow.js (the
 * web server's health check) names them too.
 */
export const MODEL_JSON_FILE = "model.json";
export const WEIGHTS_FILE = "weights.bin";
export const METADATA_FILE = "metadata.json";
