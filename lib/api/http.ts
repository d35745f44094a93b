import type { HttpRequest, HttpResponseInit } from '@azure/functions';

/**
 * Error responses are `{ "error": { "code", "message" } }` and nothing else: no stack, no ids, no
 * internals. Handlers throw ApiError; `errorResponse` is the only place that shapes the body.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** fields a client acts on (e.g. the controls a restore needs justifications for) */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (message: string) => new ApiError(400, 'BadRequest', message);
export const notFound = (what: string) => new ApiError(404, 'NotFound', `${what} not found.`);
export const conflict = (message: string) => new ApiError(409, 'Conflict', message);

const NO_STORE = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

export function json(status: number, body: unknown): HttpResponseInit {
  return {
    status,
    jsonBody: body,
    headers: { ...NO_STORE, 'content-type': 'application/json; charset=utf-8' },
  };
}

export function errorResponse(error: ApiError): HttpResponseInit {
  return json(error.status, { error: { code: error.code, message: error.message, ...error.details } });
}

export const INTERNAL_ERROR = new ApiError(500, 'InternalError', 'The request could not be completed.');

/** Largest JSON body we accept: exception and restore requests are a few hundred bytes. */
export const MAX_BODY_BYTES = 16 * 1024;

/**
 * Reads a JSON object body, enforcing the size limit before and after reading (content-length may
 * be absent). The body must be declared `application/json` (415 otherwise): a cross-site form or a
 * "simple" fetch can send text/plain without a CORS preflight, never application/json.
 */
export async function readJsonObject(request: HttpRequest): Promise<Record<string, unknown>> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json')
    throw new ApiError(415, 'UnsupportedMediaType', 'The body must be sent as application/json.');
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const text = await request.text();
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) throw tooLarge();
  if (!text.trim()) throw badRequest('A JSON body is required.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw badRequest('The body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw badRequest('The body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

function tooLarge(): ApiError {
  return new ApiError(413, 'PayloadTooLarge', `The body must not exceed ${MAX_BODY_BYTES} bytes.`);
}
