/** What a client is told while the database is out of reach (down, restarting): a 503 it outlives. */
export const UNAVAILABLE_RETRY_SECONDS = 5;
export const UNAVAILABLE_MESSAGE = "The database is unavailable for the moment: try again in a few seconds.";
