/**
 * Writing one security rule on an NSG others are writing too, as Azure behaves:
 * - every rule carries the NSG's ETag, so our If-Match PUT answers 412 after *any* change to the
 *   NSG since our read — usually a sibling's, not this rule's;
 * - while another operation holds the NSG, a write answers 429 RetryableError
 *   (RetryableErrorDueToAnotherOperation) or 409 AnotherOperationInProgress with Retry-After.
 *   That operation is itself a write on the NSG, so by the time it is over our ETag is stale:
 *   replaying the same conditional PUT (what the SDK's retry policy does with a 429) is a
 *   guaranteed 412. The policy below stops that replay and hands the answer to the gateway,
 *   which waits, re-reads the rule and writes again with the fresh ETag.
 */
import type { PipelinePolicy, PipelineResponse } from '@azure/core-rest-pipeline';

/** A conditional write refused because another operation holds the resource. */
export class BusyWriteError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    /** from Retry-After; null when ARM sent none */
    readonly retryAfterMs: number | null,
    message: string,
  ) {
    super(message);
    this.name = 'BusyWriteError';
  }
}

const BUSY_CODES = new Set([
  'retryableerror',
  'retryableerrorduetoanotheroperation',
  'anotheroperationinprogress',
]);

/** The error of a 429/409 "another operation holds this resource" answer, or null for anything else. */
export function busyAnswer(response: PipelineResponse): BusyWriteError | null {
  if (response.status !== 429 && response.status !== 409) return null;
  let error: { code?: unknown; message?: unknown } | undefined;
  try {
    error = (JSON.parse(response.bodyAsText ?? '') as { error?: { code?: unknown; message?: unknown } })
      .error;
  } catch {
    return null;
  }
  const code = typeof error?.code === 'string' ? error.code : '';
  if (!BUSY_CODES.has(code.toLowerCase())) return null;
  const seconds = Number(response.headers.get('retry-after') ?? Number.NaN);
  return new BusyWriteError(
    response.status,
    code,
    Number.isFinite(seconds) ? seconds * 1000 : null,
    typeof error?.message === 'string' ? error.message : code,
  );
}

export const NO_BLIND_REPLAY_POLICY = 'driftwardenNoBlindReplayOfBusyConditionalWrites';

/**
 * Per-retry policy: a conditional (If-Match) write answered "busy" is thrown as BusyWriteError
 * instead of being replayed by the SDK's retry policy (it only retries RestErrors).
 */
export const noBlindReplayOfBusyConditionalWrites: PipelinePolicy = {
  name: NO_BLIND_REPLAY_POLICY,
  async sendRequest(request, next) {
    const response = await next(request);
    if (request.method === 'GET' || !request.headers.has('If-Match')) return response;
    const busy = busyAnswer(response);
    if (busy) throw busy;
    return response;
  },
};

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key, item]) => item !== undefined && key !== 'etag' && key !== 'provisioningState')
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, item]) => [key, canonical(item)]),
  );
}

/** Whether two reads of a rule (SDK model) say the same, ARM-managed etag/provisioningState aside. */
export function sameRuleContent(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}
