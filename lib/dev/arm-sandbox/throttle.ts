/**
 * ARM-like request limits (the 2024 regional token-bucket model): per subscription, a bucket for
 * each caller (service principal) and a global bucket shared by all callers holding 15 times as
 * much, each for reads and for writes. ARM answers an empty bucket with 429 + Retry-After and
 * reports what is left on every response: the caller's bucket in
 * `x-ms-ratelimit-remaining-subscription-reads` / `-writes`, the global one in
 * `x-ms-ratelimit-remaining-subscription-global-reads` / `-global-writes` (current ARM sends both).
 */
import type { BucketSettings, ThrottleSettings } from './types.js';

export type RequestClass = 'reads' | 'writes';

export interface ThrottleDecision {
  allowed: boolean;
  /** left in the caller's bucket */
  remaining: number;
  /** left in the subscription's global bucket */
  globalRemaining: number;
  /** whole seconds until a token is available (only when not allowed) */
  retryAfterSeconds: number;
}

class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(private readonly settings: BucketSettings) {
    this.tokens = settings.burst;
    this.updatedAt = Date.now();
  }

  private refill(now: number): void {
    const elapsedSeconds = (now - this.updatedAt) / 1000;
    this.tokens = Math.min(this.settings.burst, this.tokens + elapsedSeconds * this.settings.perSecond);
    this.updatedAt = now;
  }

  /** Whole seconds until a token is there (0 when one is). */
  waitSeconds(now: number): number {
    this.refill(now);
    if (this.tokens >= 1) return 0;
    const wait = this.settings.perSecond > 0 ? (1 - this.tokens) / this.settings.perSecond : 3600;
    return Math.max(1, Math.ceil(wait));
  }

  spend(): void {
    this.tokens -= 1;
  }

  remaining(): number {
    return Math.max(0, Math.floor(this.tokens));
  }
}

/** The global subscription limit is 15 times one caller's (ARM's documented ratio). */
const GLOBAL_FACTOR = 15;

export class Throttle {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private settings: ThrottleSettings | false) {}

  configure(settings: ThrottleSettings | false): void {
    this.settings = settings;
    this.buckets.clear();
  }

  private bucket(key: string, settings: BucketSettings): TokenBucket {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(settings);
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  /** Spends a token from the caller's and the global bucket, or neither; undefined when throttling is off. */
  take(subscriptionId: string, principal: string, kind: RequestClass): ThrottleDecision | undefined {
    if (!this.settings) return undefined;
    const settings = this.settings[kind];
    const sub = subscriptionId.toLowerCase();
    const own = this.bucket(`${sub}|${principal.toLowerCase()}|${kind}`, settings);
    const global = this.bucket(`${sub}|*|${kind}`, {
      burst: settings.burst * GLOBAL_FACTOR,
      perSecond: settings.perSecond * GLOBAL_FACTOR,
    });
    const now = Date.now();
    const wait = Math.max(own.waitSeconds(now), global.waitSeconds(now));
    if (wait === 0) {
      own.spend();
      global.spend();
    }
    return {
      allowed: wait === 0,
      remaining: own.remaining(),
      globalRemaining: global.remaining(),
      retryAfterSeconds: wait,
    };
  }
}
