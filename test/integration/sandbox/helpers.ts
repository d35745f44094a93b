/** Test helpers for the ARM sandbox tests: a recording webhook and raw HTTPS calls. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export const SUBSCRIPTION = '0b1f6471-1bf0-4dda-aec3-cb9272f09590';

export interface ReceivedDelivery {
  headers: IncomingHttpHeaders;
  /** the parsed JSON body: an array of events */
  body: unknown;
}

export interface TestWebhook {
  url: string;
  /** notification deliveries (validation handshakes are kept apart) */
  received: ReceivedDelivery[];
  validations: ReceivedDelivery[];
  /** answer the next N notifications with this status instead of 200 */
  failNext(count: number, status?: number): void;
  /** answer validation handshakes wrongly */
  rejectValidation: boolean;
  close(): Promise<void>;
}

/** A webhook on 127.0.0.1 (free port) that speaks the Event Grid and CloudEvents handshakes. */
export async function startWebhook(): Promise<TestWebhook> {
  let failures = 0;
  let failStatus = 500;
  let server: Server | undefined;
  const hook: TestWebhook = {
    url: '',
    received: [],
    validations: [],
    rejectValidation: false,
    failNext(count, status = 500) {
      failures = count;
      failStatus = status;
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (!server) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method === 'OPTIONS') {
        res.writeHead(200, { 'WebHook-Allowed-Origin': String(req.headers['webhook-request-origin'] ?? '') });
        res.end();
        return;
      }
      const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
      if (req.headers['aeg-event-type'] === 'SubscriptionValidation') {
        hook.validations.push({ headers: req.headers, body });
        const code = (body as Array<{ data: { validationCode: string } }>)[0]?.data.validationCode;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ validationResponse: hook.rejectValidation ? 'wrong' : code }));
        return;
      }
      if (failures > 0) {
        failures--;
        res.writeHead(failStatus);
        res.end();
        return;
      }
      hook.received.push({ headers: req.headers, body });
      res.writeHead(200);
      res.end();
    });
  });
  const listening = server;
  await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
  const { port } = listening.address() as AddressInfo;
  hook.url = `http://127.0.0.1:${port}/runtime/webhooks/eventgrid?functionName=onResourceEvent`;
  return hook;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** A plain HTTPS request (trusting the sandbox's CA) for the error paths the SDKs hide. */
export function rawRequest(
  url: string,
  ca: string,
  options: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = https.request(
      url,
      {
        method: options.method ?? 'GET',
        ca,
        headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            // keep the text
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
