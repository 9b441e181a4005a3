/**
 * The failures callers are expected to handle: each maps to one HTTP/tRPC status in the apps
 * (400, 404, 409). Anything else is a bug or an outage and stays a plain Error.
 */
export class InvalidInputError extends Error {
  override readonly name = "InvalidInputError";
}

export class NotFoundError extends Error {
  override readonly name = "NotFoundError";
}

export class ConflictError extends Error {
  override readonly name = "ConflictError";
}
