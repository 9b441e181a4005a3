/**
 * Password guessing made slow: after `signInFreeFailures` failed sign-ins in a row for one
 * username (from anywhere) or from one client address (for any username), each further try
 * must wait `signInDelaySeconds`, doubling with every failure up to `signInMaxDelaySeconds`.
 * A try counts as a failure from the moment it starts, so a burst of parallel tries gets no
 * more than the free ones; a success takes its own try back and clears the username.
 *
 * Held in this process's memory and forgotten a day after the last failure. The flip side of
 * a per-username delay is that anyone can slow down sign-in for a known username; the delay
 * is capped (15 minutes by default) and a researcher already signed in is not affected.
 */
import { limits, type Limits } from "@hiwl/db";

const FORGET_MS = 24 * 3600 * 1000;

interface Failures {
  failures: number;
  lastAt: number;
}

export class SignInThrottle {
  private readonly records = new Map<string, Failures>();

  constructor(private readonly limits: Pick<Limits, "signInFreeFailures" | "signInDelaySeconds" | "signInMaxDelaySeconds">) {}

  /** Seconds a key must still wait before its next try. */
  private wait(key: string, now: number): number {
    const r = this.records.get(key);
    if (!r || now - r.lastAt > FORGET_MS) return 0;
    const beyond = r.failures - this.limits.signInFreeFailures;
    if (beyond < 0) return 0;
    const delay = Math.min(this.limits.signInMaxDelaySeconds, this.limits.signInDelaySeconds * 2 ** beyond);
    return Math.max(0, Math.ceil((r.lastAt + delay * 1000 - now) / 1000));
  }

  /**
   * Starts a try for a username from an address: 0 when it may go ahead (and is counted as a
   * failure until `succeeded`), otherwise the seconds to wait, with nothing counted.
   */
  begin(username: string, address: string, now = Date.now()): number {
    const keys = [`user:${username.toLowerCase()}`, `addr:${address}`];
    const wait = Math.max(...keys.map((k) => this.wait(k, now)));
    if (wait > 0) return wait;
    for (const key of keys) {
      const r = this.records.get(key);
      this.records.set(key, { failures: (r && now - r.lastAt <= FORGET_MS ? r.failures : 0) + 1, lastAt: now });
    }
    if (this.records.size > 100_000) this.forgetOld(now);
    return 0;
  }

  succeeded(username: string, address: string): void {
    this.records.delete(`user:${username.toLowerCase()}`);
    const r = this.records.get(`addr:${address}`);
    if (r) r.failures = Math.max(0, r.failures - 1);
  }

  private forgetOld(now: number): void {
    for (const [key, r] of this.records) if (now - r.lastAt > FORGET_MS) this.records.delete(key);
  }
}

const shared = globalThis as typeof globalThis & { __hiwlSignIn?: SignInThrottle };

export function signInThrottle(): SignInThrottle {
  shared.__hiwlSignIn ??= new SignInThrottle(limits());
  return shared.__hiwlSignIn;
}
