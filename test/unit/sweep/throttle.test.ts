import { createHttpHeaders, createPipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { describe, expect, it } from 'vitest';
import {
  ArmThrottle,
  type MonotonicClock,
  remainingOf,
  retryAfterMs,
  TokenBucket,
} from '../../../lib/sweep/throttle.js';

function fakeClock(start = 1_000): MonotonicClock & { advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

describe('TokenBucket', () => {
  it('serves the burst immediately, then exactly at the refill rate', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ capacity: 3, refillPerSecond: 10 }, clock);
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 0]);
    // queued reservations are spaced 100 ms apart (10/s), in order
    expect(bucket.reserve()).toBeCloseTo(100);
    expect(bucket.reserve()).toBeCloseTo(200);
    clock.advance(200);
    expect(bucket.available()).toBeCloseTo(0);
    expect(bucket.reserve()).toBeCloseTo(100);
  });

  it('refills up to capacity and never beyond', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ capacity: 2, refillPerSecond: 1 }, clock);
    bucket.reserve();
    bucket.reserve();
    clock.advance(60_000);
    expect(bucket.available()).toBe(2);
  });

  it('a 429 empties the bucket and pauses everyone for Retry-After', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ capacity: 100, refillPerSecond: 10 }, clock);
    bucket.throttled(2_000);
    expect(bucket.reserve()).toBe(2_000);
    clock.advance(1_500);
    expect(bucket.reserve()).toBeCloseTo(500);
    clock.advance(500);
    // after the pause the bucket has refilled for 2 s (20 tokens) minus the 2 reserved
    expect(bucket.available()).toBeCloseTo(18);
    expect(bucket.reserve()).toBe(0);
  });

  it('believes ARM when it reports fewer remaining tokens than we think', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ capacity: 250, refillPerSecond: 25 }, clock);
    bucket.observeRemaining(1);
    expect(bucket.reserve()).toBe(0);
    expect(bucket.reserve()).toBeCloseTo(40);
  });

  it('rejects nonsense limits', () => {
    expect(() => new TokenBucket({ capacity: 0, refillPerSecond: 1 })).toThrow(RangeError);
    expect(() => new TokenBucket({ capacity: 1, refillPerSecond: 0 })).toThrow(RangeError);
  });
});

function response(status: number, headers: Record<string, string> = {}): PipelineResponse {
  const request = createPipelineRequest({ url: 'https://arm.test/' });
  return { status, headers: createHttpHeaders(headers), request };
}

describe('retryAfterMs', () => {
  it('reads seconds, milliseconds headers and HTTP dates', () => {
    expect(retryAfterMs(response(429, { 'retry-after': '3' }))).toBe(3_000);
    expect(retryAfterMs(response(429, { 'retry-after-ms': '250' }))).toBe(250);
    expect(retryAfterMs(response(429, { 'retry-after': new Date(10_000).toUTCString() }), 4_000)).toBe(6_000);
    expect(retryAfterMs(response(429))).toBeNull();
  });
});

describe('ArmThrottle policy', () => {
  it('meters reads and writes per subscription, and pauses a subscription on 429 only', async () => {
    const clock = fakeClock();
    const slept: number[] = [];
    const throttle = new ArmThrottle(
      { read: { capacity: 1, refillPerSecond: 1 }, write: { capacity: 1, refillPerSecond: 1 } },
      clock,
      async (ms) => {
        slept.push(ms);
      },
    );
    const policy = throttle.policy();
    let nextStatus = 200;
    const send = (method: 'GET' | 'PUT', sub: string) =>
      policy.sendRequest(
        createPipelineRequest({
          url: `https://arm.test/subscriptions/${sub}/providers/x?api-version=1`,
          method,
        }),
        async (request) => ({
          ...response(nextStatus, nextStatus === 429 ? { 'retry-after': '5' } : {}),
          request,
        }),
      );
    await send('GET', 'a');
    await send('PUT', 'a'); // separate write bucket: no wait
    await send('GET', 'b'); // separate subscription: no wait
    expect(slept).toEqual([]);
    await send('GET', 'a'); // read bucket of 'a' is empty: 1 s
    expect(slept).toEqual([1_000]);
    nextStatus = 429;
    await send('GET', 'b'); // b's second read is also 1 s out, and ARM says 429 retry in 5 s
    nextStatus = 200;
    await send('GET', 'b');
    expect(slept[2]).toBe(5_000);
    await send('PUT', 'b'); // writes of b are not paused by a read 429
    expect(slept).toHaveLength(3);
    expect(throttle.stats).toMatchObject({ reads: 5, writes: 2, throttled: 1 });
  });

  it('a 429 because another operation holds the resource (RetryableError) does not pause the subscription', async () => {
    const slept: number[] = [];
    const throttle = new ArmThrottle(
      { read: { capacity: 10, refillPerSecond: 1 }, write: { capacity: 10, refillPerSecond: 1 } },
      fakeClock(),
      async (ms) => {
        slept.push(ms);
      },
    );
    const policy = throttle.policy();
    const put = (code: string) =>
      policy.sendRequest(
        createPipelineRequest({
          url: 'https://arm.test/subscriptions/a/providers/x?api-version=1',
          method: 'PUT',
        }),
        async (request) => ({
          ...response(429, { 'retry-after': '7' }),
          bodyAsText: JSON.stringify({ error: { code, message: '...' } }),
          request,
        }),
      );
    await put('RetryableError');
    await put('RetryableError'); // not paused: the NSG was busy, not the subscription's budget
    expect(slept).toEqual([]);
    await put('SubscriptionRequestsThrottled');
    await put('RetryableError');
    expect(slept).toEqual([7_000]); // a real throttle pauses everyone
  });
});

describe('remainingOf', () => {
  it('reads the caller and the -global- headers, whichever are present, and believes the lower', () => {
    expect(remainingOf(response(200, { 'x-ms-ratelimit-remaining-subscription-reads': '40' }), 'reads')).toBe(
      40,
    );
    expect(
      remainingOf(response(200, { 'x-ms-ratelimit-remaining-subscription-global-writes': '12' }), 'writes'),
    ).toBe(12);
    expect(
      remainingOf(
        response(200, {
          'x-ms-ratelimit-remaining-subscription-reads': '249',
          'x-ms-ratelimit-remaining-subscription-global-reads': '30',
        }),
        'reads',
      ),
    ).toBe(30);
    expect(
      remainingOf(response(200, { 'x-ms-ratelimit-remaining-subscription-writes': '5' }), 'reads'),
    ).toBeNull();
  });
});
