/**
 * A per-client request limit over fixed windows: at most `max` requests from one address in each window of
 * `timeWindowMs`. Cheap enough to sit in front of every request (one Map lookup), and it forgets every
 * client when its window ends, so memory stays bounded by the clients of one window.
 */
export interface RateLimitOptions {
  /** Requests allowed per client in one window, at least 1. */
  readonly max: number;
  /** The window's length in ms, 1 to 3,600,000. */
  readonly timeWindowMs: number;
}

export type RateLimitDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterSeconds: number };

const ALLOWED: RateLimitDecision = Object.freeze({ allowed: true });

export class FixedWindowRateLimiter {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  #counts = new Map<string, number>();
  #windowEnds: number;

  constructor(options: RateLimitOptions, now: () => number = Date.now) {
    this.#max = options.max;
    this.#windowMs = options.timeWindowMs;
    this.#now = now;
    this.#windowEnds = now() + this.#windowMs;
  }

  /** Counts one request from `client` and says whether it may go on. */
  take(client: string): RateLimitDecision {
    const now = this.#now();
    if (now >= this.#windowEnds) {
      this.#counts = new Map();
      this.#windowEnds = now + this.#windowMs;
    }
    const count = (this.#counts.get(client) ?? 0) + 1;
    this.#counts.set(client, count);
    if (count <= this.#max) return ALLOWED;
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((this.#windowEnds - now) / 1000)) };
  }
}
