import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Function keys locally: one key stands in for function, master and system keys, presented as
 * `x-functions-key` or `?code=` like the runtime accepts them.
 */

function sameKey(presented: string, functionKey: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(functionKey);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The key from `x-functions-key` or `?code=`, compared in constant time. Every `code` given must
 * be the key (a second, wrong `code` is not hidden behind a right one).
 */
export function hasValidKey(req: IncomingMessage, url: URL, functionKey: string): boolean {
  const header = req.headers['x-functions-key'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  if (fromHeader !== undefined) return sameKey(fromHeader, functionKey);
  const codes = url.searchParams.getAll('code');
  return codes.length > 0 && codes.every((code) => sameKey(code, functionKey));
}
