/**
 * Commander option parsers that name the option in their errors. Kept apart from model-options.ts, which
 * reaches the database, so that the throughput benchmark bundles without it.
 */
import { Option } from "commander";
import { VIEW_COUNTS, type ViewCount } from "@hiwl/model/inference";
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

/**
 * Views averaged per prediction (`--test-views`, `--views`), parsed and checked here: commander's
 * choices() checks nothing once a parser is given after it.
 */
export function viewsOption(flags: string, description: string): Option {
  const name = flags.split(" ")[0]!;
  return new Option(flags, `${description}: ${VIEW_COUNTS.join(", or ")} (the rotations and flips)`).argParser((value): ViewCount => {
    const views = VIEW_COUNTS.find((v) => String(v) === value.trim());
    if (views === undefined) throw new Error(`${name} must be ${VIEW_COUNTS.join(" or ")}, got "${value}"`);
    return views;
  });
}

export const backendOption = () =>
  new Option("--backend <name>", "TensorFlow.js backend; auto takes the fastest that starts").choices(BACKEND_CHOICES).default("auto");
