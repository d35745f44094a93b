import type { IncomingMessage, ServerResponse } from 'node:http';
import { hasValidKey } from './function-keys.js';
import type { FunctionTable } from './functions.js';
import { readBodyWithin } from './http-bridge.js';
import { sendJson, sendStatus } from './replies.js';

/**
 * The admin API local mode supports, as the runtime shapes it:
 * - `GET /admin/host/status` → `{ state: "Running" }` (readiness probe, no key);
 * - `POST /admin/functions/<name>` `{ "input": "…" }` → 202, runs any non-HTTP function in the
 *   background (the outcome goes to the log); the key is required.
 */
export interface AdminOptions {
  functions: FunctionTable;
  functionKey: string;
  maxBodyBytes: number;
}

export function adminApi(options: AdminOptions) {
  const { functions, functionKey, maxBodyBytes } = options;
  return async function handleAdmin(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    path: string,
  ): Promise<void> {
    const method = req.method?.toUpperCase();
    if (path.toLowerCase() === '/admin/host/status' && method === 'GET') {
      return sendJson(res, 200, { state: 'Running' });
    }
    const match = /^\/admin\/functions\/([^/]+)\/?$/i.exec(path);
    if (!match) return sendStatus(res, 404, 'Not Found');
    if (!hasValidKey(req, url, functionKey)) return sendStatus(res, 401, 'Unauthorized');
    if (method !== 'POST') return sendStatus(res, 405, 'Method Not Allowed', { allow: 'POST' });
    const definition = functions.find(decodeURIComponent(match[1] ?? ''));
    if (!definition) return sendStatus(res, 404, 'Not Found');
    if (definition.kind === 'http')
      return sendStatus(res, 400, `"${definition.name}" is HTTP-triggered; call it under /api`);
    const body = await readBodyWithin(req, res, maxBodyBytes);
    if (!body) return;
    let input: unknown;
    try {
      const text = body.toString('utf8').trim();
      input = text ? (JSON.parse(text) as { input?: unknown }).input : undefined;
    } catch {
      return sendStatus(res, 400, 'body must be JSON like { "input": "..." }');
    }
    // Like the runtime: accepted now, run in the background; the outcome goes to the log.
    void functions.runNonHttp(definition, input);
    return sendStatus(res, 202);
  };
}
