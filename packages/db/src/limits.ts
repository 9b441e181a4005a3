/**
 * The limits that keep one client from swamping the site or the votes, with their defaults,
 * overridden by the JSON object in $HIWL_LIMITS (for example {"votesPerAddress": 3,
 * "identities": {"burst": 60}}). The web server and the database code both read them here.
 */
import { z } from "zod";
import { parseJsonEnv } from "./json-text.ts";

const positiveInt = z.number().int().min(1);
const positive = z.number().gt(0);

/** A token bucket: up to `burst` at once, refilled at `perMinute`. */
const bucket = z.object({ burst: positiveInt, perMinute: positive }).strict();
export type BucketLimit = z.infer<typeof bucket>;

const LimitsSchema = z
  .object({
    /** Minutes a handed-out galaxy stays classifiable by the volunteer it was handed to. */
    handoutMinutes: positive,
    /**
     * Classifications of one galaxy from one network address that count toward its tallies and
     * retirement; more are stored, flagged "same_address", and not counted. Below the smallest
     * retirement threshold (3 votes with a confident model), so no single address can retire a
     * galaxy, however many identities it makes.
     */
    votesPerAddress: positiveInt,
    /** New volunteer identities per client address. */
    identities: bucket,
    /** Classifications submitted per volunteer. */
    submissions: bucket,
    /** Talk comments posted per volunteer. */
    comments: bucket,
    /** Failed sign-ins, per username and per client address, before each further try must wait. */
    signInFreeFailures: positiveInt,
    /** The first wait after the free failures, doubled with each further failure up to signInMaxDelaySeconds. */
    signInDelaySeconds: positive,
    signInMaxDelaySeconds: positive,
    /** A researcher's session ends after this long without a request. */
    sessionIdleMinutes: positive,
    /** Largest request body the API reads, in bytes (larger: 413). */
    bodyBytes: positiveInt,
    /** Most procedure calls in one tRPC batch request (more: 400); the site's pages batch up to 10. */
    batchCalls: z.number().int().min(10),
  })
  .strict();

export type Limits = z.infer<typeof LimitsSchema>;

export const DEFAULT_LIMITS: Limits = {
  handoutMinutes: 120,
  votesPerAddress: 2,
  // A classroom behind one NAT address gets 30 volunteers at once, then one a minute.
  identities: { burst: 30, perMinute: 1 },
  // A careful volunteer takes 5-60 s per galaxy; one every 3 s on average leaves room for fast ones.
  submissions: { burst: 20, perMinute: 20 },
  // A lively discussion, not a flood: 5 at once, then one every 20 s.
  comments: { burst: 5, perMinute: 3 },
  signInFreeFailures: 5,
  signInDelaySeconds: 2,
  signInMaxDelaySeconds: 900,
  sessionIdleMinutes: 120,
  bodyBytes: 64 * 1024,
  batchCalls: 10,
};

const PartialLimits = LimitsSchema.extend({ identities: bucket.partial(), submissions: bucket.partial(), comments: bucket.partial() }).partial();

/** The project's limits: the defaults with $HIWL_LIMITS (a JSON object of the fields to change) on top. */
export function limits(value: string | undefined = process.env.HIWL_LIMITS): Limits {
  const changes = parseJsonEnv("HIWL_LIMITS", value, PartialLimits);
  if (changes === null) return DEFAULT_LIMITS;
  const { identities, submissions, comments, ...rest } = changes;
  return {
    ...DEFAULT_LIMITS,
    ...rest,
    identities: { ...DEFAULT_LIMITS.identities, ...identities },
    submissions: { ...DEFAULT_LIMITS.submissions, ...submissions },
    comments: { ...DEFAULT_LIMITS.comments, ...comments },
  };
}
