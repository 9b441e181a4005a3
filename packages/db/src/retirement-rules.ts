/**
 * The project's retirement rules: HIWL's defaults, overridden by the JSON object in
 * $HIWL_RETIREMENT (for example {"count": 20, "consensusShare": 0.8}). The site retires a
 * galaxy on the classification that completes it and the worker after each scoring run; both
 * read the rules here, so a project sets them once.
 */
import { DEFAULT_RETIREMENT, type RetirementRules } from "@hiwl/model";
import { z } from "zod";
import { parseJsonEnv } from "./json-text.ts";

const count = z.number().int().min(1);
const share = z.number().gt(0).max(1);

const RulesSchema = z
  .object({
    count,
    informativeCount: count,
    informativeScore: z.number(),
    consensusShare: share,
    consensusMinVotes: count,
    modelConfidence: share,
    modelMinVotes: count,
  })
  .partial()
  .strict();

export function retirementRules(value: string | undefined = process.env.HIWL_RETIREMENT): RetirementRules {
  return { ...DEFAULT_RETIREMENT, ...parseJsonEnv("HIWL_RETIREMENT", value, RulesSchema) };
}
