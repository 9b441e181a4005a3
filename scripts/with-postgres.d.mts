// Types of scripts/with-postgres.mjs for the TypeScript that starts servers of its own (tests).
export interface ThrowawayPostgres {
  /** A superuser URL of the cluster (database "postgres"). */
  url: string;
  /** The cluster's folder, removed by stop(). */
  dir: string;
  /** pg_ctl with the cluster's folder and options: control("stop", "-m", "fast"), control("start"). */
  control: (...args: string[]) => void;
  stop: () => void;
}
export function postgresBin(): string | null;
export function startPostgres(): Promise<ThrowawayPostgres>;
