import type { z } from "zod";

/**
 * A JSON object from an environment variable, checked by `schema`; null when the variable is
 * unset or blank. Errors name the variable and each wrong field.
 */
export function parseJsonEnv<T>(name: string, value: string | undefined, schema: z.ZodType<T>): T | null {
  if (value === undefined || value.trim() === "") return null;
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch (error) {
    throw new Error(`${name} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(the value)"}: ${i.message}`);
    throw new Error(`${name}: ${problems.join("; ")}`);
  }
  return parsed.data;
}
