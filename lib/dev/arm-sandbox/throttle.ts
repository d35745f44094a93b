/**
 * ARM-like request limits: one token bucket per subscription for reads and one for writes.
 * ARM answers an empty bucket with 429 + Retry-After and reports what is left on every response
 * in `x-ms-ratelimit-remaining-subscription-reads` / `-writes`.
 */
import type { BucketSettings, ThrottleSettings } from './types.js';

export type RequestClass = 'reads' | 'writes';

export interface ThrottleDecision {
  allowed: boolean;
  remaining: number;
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

  take(now: number): ThrottleDecision {
    const elapsedSeconds = (now - this.updatedAt) / 1000;
    this.tokens = Math.min(this.settings.burst, this.tokens + elapsedSeconds * this.settings.perSecond);
    this.updatedAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { allowed: true, remaining: Math.floor(this.tokens), retryAfterSeconds: 0 };
    }
    const wait = this.settings.perSecond > 0 ? (1 - this.tokens) / this.settings.perSecond : 3600;
    return { allowed: false, remaining: 0, retryAfterSeconds: Math.max(1, Math.ceil(wait)) };
  }
}

export class Throttle {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private settings: ThrottleSettings | false) {}

  configure(settings: ThrottleSettings | false): void {
    this.settings = settings;
    this.buckets.clear();
  }

  /** undefined when throttling is off */
  take(subscriptionId: string, kind: RequestClass): ThrottleDecision | undefined {
    if (!this.settings) return undefined;
    const key = `${subscriptionId.toLowerCase()}|${kind}`;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.settings[kind]);
      this.buckets.set(key, bucket);
    }
    return bucket.take(Date.now());
  }
}
