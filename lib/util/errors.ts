/** Normalises anything thrown into an Error (ARCHITECTURE.md "Contracts": catch as unknown, normalise). */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (typeof thrown === 'string') return new Error(thrown);
  try {
    return new Error(JSON.stringify(thrown));
  } catch {
    return new Error(String(thrown));
  }
}

/** Shape of @azure/core-rest-pipeline's RestError that we rely on, checked by name (not instanceof: bundles may duplicate the class). */
export interface RestErrorLike extends Error {
  name: 'RestError';
  statusCode?: number;
  code?: string;
  response?: { headers?: { get(name: string): string | undefined } };
}

export function isRestError(error: unknown): error is RestErrorLike {
  return error instanceof Error && error.name === 'RestError';
}

/**
 * Transient errors are rethrown so the platform retries (Event Grid redelivery, queue retry).
 * Permanent ones become a `remediation-failed` evidence row.
 */
export function isTransient(error: unknown): boolean {
  if (isRestError(error)) {
    const status = error.statusCode;
    if (status === undefined) return true; // connection reset, DNS, timeout
    return status === 408 || status === 409 || status === 412 || status === 429 || status >= 500;
  }
  const code = (error as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' && /^(ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|EAI_AGAIN|UND_ERR)/.test(code)
  );
}
