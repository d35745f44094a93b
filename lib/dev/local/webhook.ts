import type { IncomingMessage, ServerResponse } from 'node:http';
import { classifyWebhookRequest } from './event-grid.js';
import { hasValidKey } from './function-keys.js';
import type { FunctionTable } from './functions.js';
import { readBodyWithin } from './http-bridge.js';
import { sendJson, sendStatus } from './replies.js';

/**
 * `/runtime/webhooks/eventgrid?functionName=<name>`, as the Event Grid extension serves it: the
 * subscription validation handshake (Event Grid and CloudEvents), then one invocation per event,
 * 500 when any fails so the sender retries the delivery.
 */
export const WEBHOOK_PATH = '/runtime/webhooks/eventgrid';

/**
 * The delivery URL, with the system key as `code` — as an Event Grid subscription to a Functions
 * app carries the `eventgrid_extension` system key (the runtime refuses deliveries without it).
 */
export function webhookUrl(baseUrl: string, functionName: string, systemKey: string): string {
  return `${baseUrl}${WEBHOOK_PATH}?functionName=${encodeURIComponent(functionName)}&code=${encodeURIComponent(systemKey)}`;
}

export interface WebhookOptions {
  functions: FunctionTable;
  functionKey: string;
  maxBodyBytes: number;
  log: (line: string) => void;
}

export function eventGridWebhook(options: WebhookOptions) {
  const { functions, functionKey, maxBodyBytes, log } = options;
  return async function handleEventGrid(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const name = url.searchParams.get('functionName') ?? '';
    const definition = functions.find(name);
    if (definition?.kind !== 'eventGrid') {
      return sendStatus(res, 404, `cannot find Event Grid function: '${name}'`);
    }
    // The Functions runtime requires the system key on this path (Core Tools skips it locally):
    // without it anyone on this machine could inject events.
    if (!hasValidKey(req, url, functionKey)) {
      return sendStatus(res, 401, 'Unauthorized');
    }
    const method = req.method?.toUpperCase();
    if (method === 'OPTIONS') {
      // CloudEvents webhook abuse protection (CloudEvents HTTP webhook spec, section 4).
      const origin = req.headers['webhook-request-origin'];
      if (typeof origin !== 'string' || !origin)
        return sendStatus(res, 400, 'missing WebHook-Request-Origin');
      const headers: Record<string, string> = { 'webhook-allowed-origin': origin, allow: 'POST, OPTIONS' };
      if (req.headers['webhook-request-rate'] !== undefined) headers['webhook-allowed-rate'] = '*';
      return sendStatus(res, 200, undefined, headers);
    }
    if (method !== 'POST') return sendStatus(res, 405, 'Method Not Allowed', { allow: 'POST, OPTIONS' });
    const body = await readBodyWithin(req, res, maxBodyBytes);
    if (!body) return;
    const header = req.headers['aeg-event-type'];
    const request = classifyWebhookRequest(
      Array.isArray(header) ? header[0] : header,
      req.headers['content-type'],
      body.toString('utf8'),
    );
    switch (request.kind) {
      case 'invalid':
        return sendStatus(res, 400, request.reason);
      case 'unsubscribe':
        return sendStatus(res, 202);
      case 'validation':
        log(`[${definition.name}] Event Grid subscription validation handshake`);
        return sendJson(res, 200, { validationResponse: request.validationCode });
      case 'notification': {
        // Sequential, and stop at the first failure: the whole delivery is retried anyway.
        for (const event of request.events) {
          const result = await functions.runNonHttp(definition, event);
          if (!result.ok) return sendStatus(res, 500, result.error.message);
        }
        return sendStatus(res, 202); // the extension answers 202 Accepted
      }
    }
  };
}
