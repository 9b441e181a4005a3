/**
 * A failed import: every problem found, each naming the file, the line and the field, so a
 * researcher can fix the input in one pass. Nothing has been written when this is thrown.
 */
export class ImportError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    const shown = problems.slice(0, 20);
    const more = problems.length > shown.length ? `\n  ... and ${problems.length - shown.length} more` : "";
    super(`${file}: ${problems.length} problem(s), nothing imported:\n  ${shown.join("\n  ")}${more}`);
    this.name = "ImportError";
  }
}
