import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Function keys locally: one key stands in for function, master and system keys, presented as
 * `x-functions-key` or `?code=` like the runtime accepts them.
 */

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
