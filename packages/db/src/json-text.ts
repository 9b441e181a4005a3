import type { z } from "zod";

/**
 * JSON text checked by `schema`. Errors name `what` (a file, a variable) and each wrong field:
 * `what is not JSON: ...` or `what: field: problem; ...`.
 */
export function parseJsonText<T>(what: string, text: string, schema: z.ZodType<T>): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${what} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(the value)"}: ${i.message}`);
    throw new Error(`${what}: ${problems.join("; ")}`);
  }
  return parsed.data;
}

/** A JSON object from an environment variable, checked by `schema`; null when unset or blank. */
export function parseJsonEnv<T>(name: string, value: string | undefined, schema: z.ZodType<T>): T | null {
  return value === undefined || value.trim() === "" ? null : parseJsonText(name, value, schema);
}
