/**
 * Token buckets, one per key (a client address, a volunteer): up to `burst` requests at once,
 * refilled at `perMinute`. Held in this process's memory; a site with several web servers
 * gives each server its own buckets, so a client gets at most N times the limit.
 */
import { limits, type BucketLimit } from "@hiwl/db";

class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly limit: BucketLimit,
    /** Beyond this many keys, full buckets (no different from a new one) are forgotten. */
    private readonly maxKeys = 100_000,
  ) {}

  /** Takes a token for `key`: 0 when granted, otherwise the whole seconds until one is there. */
  take(key: string, now = Date.now()): number {
    const { burst, perMinute } = this.limit;
    const perMs = perMinute / 60_000;
    const held = this.buckets.get(key);
    const tokens = held ? Math.min(burst, held.tokens + (now - held.at) * perMs) : burst;
    if (tokens >= 1) {
      if (!held && this.buckets.size >= this.maxKeys) this.forgetFull(now);
      this.buckets.set(key, { tokens: tokens - 1, at: now });
      return 0;
    }
    return Math.max(1, Math.ceil((1 - tokens) / perMs / 1000));
  }

  private forgetFull(now: number): void {
    const { burst, perMinute } = this.limit;
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.at) * perMinute) / 60_000 >= burst) this.buckets.delete(key);
    }
  }
}

interface Buckets {
  identities: TokenBuckets;
  submissions: TokenBuckets;
  comments: TokenBuckets;
}

// One set per process: Next bundles this module into several server chunks.
const shared = globalThis as typeof globalThis & { __hiwlBuckets?: Buckets };

/** New volunteer identities per client address, classifications and comments per volunteer ($HIWL_LIMITS). */
export function buckets(): Buckets {
  shared.__hiwlBuckets ??= {
    identities: new TokenBuckets(limits().identities),
    submissions: new TokenBuckets(limits().submissions),
    comments: new TokenBuckets(limits().comments),
  };
  return shared.__hiwlBuckets;
}
