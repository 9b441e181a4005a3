/**
 * Rows per multi-row statement: well under SQLite's limit of 32766 bound variables for the
 * widest row written here (10 columns), and large enough that a 10,000-row import is 20
 * statements.
 */
const ROWS_PER_STATEMENT = 500;

export function chunks<T>(items: readonly T[], size = ROWS_PER_STATEMENT): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
