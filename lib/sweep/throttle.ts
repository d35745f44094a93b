import type { PipelinePolicy, PipelineResponse } from '@azure/core-rest-pipeline';

/**
 * Client-side token buckets for ARM, one read and one write bucket per subscription, mirroring
 * ARM's own per-subscription buckets so the sweep rarely sees a 429 at all.
 *
 * How it cooperates with the SDK's retry policy instead of fighting it: the policy is installed
 * `perRetry`, i.e. *inside* the SDK retry loop, so every attempt (first try, retry, LRO poll)
 * spends one token; when ARM answers 429 the SDK waits `Retry-After` and retries, and this
 * policy empties the local bucket and pauses it for the same `Retry-After`, so the *other*
 * requests in flight for that subscription stop too rather than piling more 429s onto ARM.
 */

export interface MonotonicClock {
  /** milliseconds, monotonic enough for rate arithmetic */
  now(): number;
}

export const monotonicClock: MonotonicClock = { now: () => performance.now() };

export interface BucketLimits {
  /** burst size */
  capacity: number;
  /** tokens added per second */
  refillPerSecond: number;
}

/** ARM's documented per-subscription buckets (reads 250 + 25/s, writes 200 + 10/s). */
export const ARM_LIMITS: { read: BucketLimits; write: BucketLimits } = {
  read: { capacity: 250, refillPerSecond: 25 },
  write: { capacity: 200, refillPerSecond: 10 },
};

/**
 * A token bucket that hands out *reservations*: `reserve()` always takes a token (the balance
 * may go negative) and says how long the caller must wait before using it. Concurrent callers are
 * thus served in order, at exactly the refill rate, without polling. Pure: time comes from `clock`.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  private pausedUntil = 0;

  constructor(
    readonly limits: BucketLimits,
    private readonly clock: MonotonicClock = monotonicClock,
  ) {
    if (!(limits.capacity >= 1) || !(limits.refillPerSecond > 0))
      throw new RangeError('bucket needs capacity >= 1 and a positive refill rate');
    this.tokens = limits.capacity;
    this.updatedAt = clock.now();
  }

  private refill(): number {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.updatedAt);
    this.tokens = Math.min(
      this.limits.capacity,
      this.tokens + (elapsed * this.limits.refillPerSecond) / 1000,
    );
    this.updatedAt = now;
    return now;
  }

  /** Takes one token; returns the milliseconds to wait before sending (0 = now). */
  reserve(): number {
    const now = this.refill();
    this.tokens -= 1;
    const deficitWait = this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.limits.refillPerSecond;
    return Math.max(deficitWait, this.pausedUntil - now, 0);
  }

  /** Server said 429 + Retry-After: its bucket is empty, so ours is too, and nobody sends before then. */
  throttled(retryAfterMs: number): void {
    const now = this.refill();
    this.tokens = Math.min(this.tokens, 0);
    this.pausedUntil = Math.max(this.pausedUntil, now + Math.max(0, retryAfterMs));
  }

  /** ARM reports what it has left (x-ms-ratelimit-remaining-*): never believe we have more. */
  observeRemaining(remaining: number): void {
    this.refill();
    if (Number.isFinite(remaining)) this.tokens = Math.min(this.tokens, remaining);
  }

  /** Tokens available right now (may be negative while reservations are queued). */
  available(): number {
    this.refill();
    return this.tokens;
  }
}

export interface ThrottleStats {
  reads: number;
  writes: number;
  /** 429 responses seen (each one retried by the SDK) */
  throttled: number;
  /** total time requests spent waiting for a token */
  waitedMs: number;
}

/** The part of an abort signal we use (the SDK hands us its own AbortSignalLike). */
export interface AbortLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export type Sleep = (ms: number, signal?: AbortLike) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (ms <= 0) return resolve();
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error('aborted'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

const SUBSCRIPTION_IN_PATH = /\/subscriptions\/([^/?#]+)/i;

/** Retry-After in ms from a 429/503 (retry-after-ms, x-ms-retry-after-ms, Retry-After seconds or date). */
export function retryAfterMs(response: PipelineResponse, nowMs: number = Date.now()): number | null {
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const value = response.headers.get(name);
    if (value !== undefined && Number.isFinite(Number(value))) return Number(value);
  }
  const header = response.headers.get('retry-after');
  if (header === undefined) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, date - nowMs) : null;
}

/**
 * What ARM says is left for this class of request: the lower of the caller's bucket
 * (`x-ms-ratelimit-remaining-subscription-reads`) and the subscription's global bucket
 * (`-global-reads`, sent by current ARM), whichever are present; null when neither is.
 */
export function remainingOf(response: PipelineResponse, kind: 'reads' | 'writes'): number | null {
  let lowest: number | null = null;
  for (const name of [
    `x-ms-ratelimit-remaining-subscription-${kind}`,
    `x-ms-ratelimit-remaining-subscription-global-${kind}`,
  ]) {
    const value = Number(response.headers.get(name) ?? Number.NaN);
    if (Number.isFinite(value)) lowest = lowest === null ? value : Math.min(lowest, value);
  }
  return lowest;
}

/**
 * A 429 from the network RP because another operation holds the resource (RetryableError):
 * that resource is busy, the subscription's budget is not spent, so the bucket does not pause.
 */
function isResourceBusy(response: PipelineResponse): boolean {
  const text = response.bodyAsText;
  if (!text) return false;
  try {
    const code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
    return code === 'RetryableError' || code === 'RetryableErrorDueToAnotherOperation';
  } catch {
    return false;
  }
}

/** Per-subscription read/write buckets plus the SDK pipeline policy that spends them. */
export class ArmThrottle {
  private readonly buckets = new Map<string, { read: TokenBucket; write: TokenBucket }>();
  readonly stats: ThrottleStats = { reads: 0, writes: 0, throttled: 0, waitedMs: 0 };

  constructor(
    private readonly limits: { read: BucketLimits; write: BucketLimits } = ARM_LIMITS,
    private readonly clock: MonotonicClock = monotonicClock,
    private readonly sleep: Sleep = realSleep,
  ) {}

  bucketsFor(subscriptionId: string): { read: TokenBucket; write: TokenBucket } {
    const key = subscriptionId.toLowerCase();
    let pair = this.buckets.get(key);
    if (!pair) {
      pair = {
        read: new TokenBucket(this.limits.read, this.clock),
        write: new TokenBucket(this.limits.write, this.clock),
      };
      this.buckets.set(key, pair);
    }
    return pair;
  }

  /** For SDK client options: `additionalPolicies: [{ policy: throttle.policy(), position: 'perRetry' }]`. */
  policy(): PipelinePolicy {
    return {
      name: 'driftwardenArmThrottle',
      sendRequest: async (request, next) => {
        const subscription = SUBSCRIPTION_IN_PATH.exec(new URL(request.url).pathname)?.[1];
        if (!subscription) return next(request); // tenant-level calls: not metered per subscription
        const isRead = request.method === 'GET' || request.method === 'HEAD';
        const pair = this.bucketsFor(subscription);
        const bucket = isRead ? pair.read : pair.write;
        const wait = bucket.reserve();
        if (wait > 0) {
          this.stats.waitedMs += wait;
          await this.sleep(wait, request.abortSignal);
        }
        if (isRead) this.stats.reads += 1;
        else this.stats.writes += 1;
        const response = await next(request);
        const remaining = remainingOf(response, isRead ? 'reads' : 'writes');
        if (remaining !== null) bucket.observeRemaining(remaining);
        if (response.status === 429 && !isResourceBusy(response)) {
          this.stats.throttled += 1;
          bucket.throttled(retryAfterMs(response) ?? 1000);
        }
        return response;
      },
    };
  }
}
