/** Node's http request/response ⇄ the @azure/functions HttpRequest/HttpResponse the handlers use. */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Cookie, HttpRequest as HttpRequestType, HttpResponseInit } from '@azure/functions';
import azureFunctions from '@azure/functions';
import { sendStatus } from './replies.js';

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

/** The request body, or null after answering 413 (the connection is closed: the rest may be unread). */
export async function readBodyWithin(
  req: IncomingMessage,
  res: ServerResponse,
  limit: number,
): Promise<Buffer | null> {
  const body = await readBody(req, limit);
  if (body.ok) return body.body;
  sendStatus(res, 413, 'Payload Too Large', { connection: 'close' });
  return null;
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
