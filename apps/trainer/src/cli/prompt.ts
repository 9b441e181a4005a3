import { createInterface } from "node:readline/promises";

/** Asks for a secret on the terminal without echoing it. */
export async function readSecret(question: string): Promise<string> {
  if (!process.stdin.isTTY) throw new Error("no terminal to ask for the password: set HIWL_RESEARCHER_PASSWORD");
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  const output = rl as unknown as { _writeToOutput?: (s: string) => void };
  process.stdout.write(question);
  output._writeToOutput = () => {};
  try {
    return (await rl.question("")).trim();
  } finally {
    rl.close();
    process.stdout.write("\n");
  }
}
