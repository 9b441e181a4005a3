/**
 * Commander option parsers that name the option in their errors. Kept apart from model-options.ts, which
 * reaches the database, so that the throughput benchmark bundles without it.
 */
import { Option } from "commander";
import { BACKEND_CHOICES } from "../training/config.ts";

export function integer(name: string, min = 0) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got "${value}"`);
    return n;
  };
}

export function positiveNumber(name: string) {
  return (value: string) => {
    const x = Number(value);
    if (!(x > 0) || !Number.isFinite(x)) throw new Error(`${name} must be a positive number, got "${value}"`);
    return x;
  };
}

/** A finite number at least `min` (NaN, Infinity and words are refused, not passed on). */
export function finiteNumber(name: string, min = Number.NEGATIVE_INFINITY) {
  return (value: string) => {
    const x = Number(value);
    if (value.trim() === "" || !Number.isFinite(x) || x < min) {
      throw new Error(`${name} must be a number${min > Number.NEGATIVE_INFINITY ? ` >= ${min}` : ""}, got "${value}"`);
    }
    return x;
  };
}

export function onOff(name: string) {
  return (value: string) => {
    if (value !== "on" && value !== "off") throw new Error(`${name} must be "on" or "off", got "${value}"`);
    return value === "on";
  };
}

export const backendOption = () =>
  new Option("--backend <name>", "TensorFlow.js backend; auto takes the fastest that starts").choices(BACKEND_CHOICES).default("auto");
