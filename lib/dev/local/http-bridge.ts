import { timingSafeEqual } from 'node:crypto';
import { type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse, STATUS_CODES } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Cookie, HttpRequest as HttpRequestType, HttpResponseInit } from '@azure/functions';
import azureFunctions from '@azure/functions';

// @azure/functions is CommonJS without detectable named exports: default-import the values.
const { HttpRequest, HttpResponse } = azureFunctions;

export type BodyResult = { ok: true; body: Buffer } | { ok: false; tooLarge: true };

/** Past this much, a too-large upload is cut off instead of drained (drained so the client sees the 413). */
const MAX_DRAIN_BYTES = 16 * 1024 * 1024;

/** Reads the request body up to `limit` bytes; beyond that, discards the rest and reports it. */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  const declared = Number(req.headers['content-length']);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number.isFinite(declared) && declared > limit;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (tooLarge) {
        chunks.length = 0;
        if (size > MAX_DRAIN_BYTES) {
          req.destroy();
          resolve({ ok: false, tooLarge: true });
        }
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () =>
      resolve(tooLarge ? { ok: false, tooLarge: true } : { ok: true, body: Buffer.concat(chunks) }),
    );
    req.on('error', reject);
  });
}

/** Node's header map → the plain record HttpRequest takes (repeated headers joined, as fetch does). */
function headerRecord(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    // App Service authentication owns these; a client must not be able to forge an identity locally.
    if (name.startsWith('x-ms-client-principal')) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

export function toHttpRequest(
  req: IncomingMessage,
  url: URL,
  params: Record<string, string>,
  body: Buffer,
): HttpRequestType {
  return new HttpRequest({
    method: req.method ?? 'GET',
    url: url.toString(),
    headers: headerRecord(req),
    query: Object.fromEntries(url.searchParams),
    params,
    body: { bytes: body },
  });
}

function serializeCookie(cookie: Cookie): string {
  const parts = [`${cookie.name}=${encodeURIComponent(cookie.value)}`];
  if (cookie.domain) parts.push(`Domain=${cookie.domain}`);
  if (cookie.path) parts.push(`Path=${cookie.path}`);
  if (cookie.expires !== undefined) parts.push(`Expires=${new Date(cookie.expires).toUTCString()}`);
  if (cookie.maxAge !== undefined) parts.push(`Max-Age=${cookie.maxAge}`);
  if (cookie.secure) parts.push('Secure');
  if (cookie.httpOnly) parts.push('HttpOnly');
  if (cookie.sameSite) parts.push(`SameSite=${cookie.sameSite}`);
  return parts.join('; ');
}

/**
 * Normalises what a handler returned (status, headers, cookies, body as string/Buffer/stream/…,
 * or jsonBody) through the library's own HttpResponse, so local mode converts exactly as the worker.
 * Throws (e.g. an invalid status) before anything is written, so the caller can still answer 500.
 */
export function toHttpResponse(init: HttpResponseInit | undefined): InstanceType<typeof HttpResponse> {
  return new HttpResponse(init ?? {});
}

export async function writeHttpResponse(
  res: ServerResponse,
  response: InstanceType<typeof HttpResponse>,
  method: string,
): Promise<void> {
  const headers: OutgoingHttpHeaders = {};
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value;
  });
  const cookies = [...response.headers.getSetCookie(), ...response.cookies.map(serializeCookie)];
  if (cookies.length) headers['set-cookie'] = cookies;
  res.writeHead(response.status, headers);
  if (!response.body || method === 'HEAD') {
    res.end();
    return;
  }
  // The web ReadableStream type from undici and node:stream/web differ only nominally.
  await pipeline(Readable.fromWeb(response.body as WebReadableStream), res);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendStatus(
  res: ServerResponse,
  status: number,
  message?: string,
  headers: OutgoingHttpHeaders = {},
): void {
  if (message === undefined) {
    res.writeHead(status, { 'content-length': 0, ...headers });
    res.end();
    return;
  }
  // Same error body shape as the app's own errors (lib/api): { error: { code, message } }.
  const code = (STATUS_CODES[status] ?? 'Error').replace(/[^A-Za-z]/g, '');
  sendJson(res, status, { error: { code, message } }, headers);
}

/** The key from `x-functions-key` or `?code=`, compared in constant time. */
export function hasValidKey(req: IncomingMessage, url: URL, functionKey: string): boolean {
  const header = req.headers['x-functions-key'];
  const presented = (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('code');
  if (!presented) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(functionKey);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Whether a key was presented at all (Event Grid: absent is accepted locally, wrong is not). */
export function presentedKey(req: IncomingMessage, url: URL): boolean {
  return req.headers['x-functions-key'] !== undefined || url.searchParams.has('code');
}
