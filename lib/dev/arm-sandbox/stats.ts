/**
 * What the sandbox counts about the ARM requests it serves (per class and route kind, throttled,
 * faulted) and the log of their method and path; event counts come from the delivery, relative to
 * the last reset.
 */
import type { RequestClass } from './throttle.js';
import type { SandboxStats } from './types.js';

const LOG_LIMIT = 10_000;

export interface RequestLogEntry {
  method: string;
  path: string;
}

/** The delivery's running totals (never reset; the stats subtract a baseline). */
export interface DeliveryCounts {
  readonly deliveredCount: number;
  readonly failedCount: number;
}

function emptyStats(): SandboxStats {
  return {
    requests: { reads: 0, writes: 0, byKind: {} },
    throttled: 0,
    faults: 0,
    eventsDelivered: 0,
    eventsFailed: 0,
  };
}

export class RequestStats {
  private counts = emptyStats();
  private log: RequestLogEntry[] = [];
  private deliveredBase = 0;
  private failedBase = 0;

  constructor(private readonly delivery: DeliveryCounts) {}

  /** Every ARM request, routed or not (the newest 10,000 are kept). */
  logRequest(method: string, path: string): void {
    this.log.push({ method, path });
    if (this.log.length > LOG_LIMIT) this.log.shift();
  }

  /** A request that matched a route. */
  countRoute(requestClass: RequestClass, kind: string): void {
    this.counts.requests[requestClass]++;
    this.counts.requests.byKind[kind] = (this.counts.requests.byKind[kind] ?? 0) + 1;
  }

  countThrottled(): void {
    this.counts.throttled++;
  }

  countFault(): void {
    this.counts.faults++;
  }

  snapshot(): SandboxStats {
    return {
      ...structuredClone(this.counts),
      eventsDelivered: this.delivery.deliveredCount - this.deliveredBase,
      eventsFailed: this.delivery.failedCount - this.failedBase,
    };
  }

  requestLog(): RequestLogEntry[] {
    return [...this.log];
  }

  reset(): void {
    this.counts = emptyStats();
    this.log = [];
    this.deliveredBase = this.delivery.deliveredCount;
    this.failedBase = this.delivery.failedCount;
  }
}
