import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FunctionDefinition } from '../../host/registration.js';
import { adminApi } from './admin.js';
import { hasValidKey } from './function-keys.js';
import { FunctionTable, type HttpFunction } from './functions.js';
import { httpFunctions } from './http-functions.js';
import { Invoker } from './invoker.js';
import { startLocalServer } from './local-server.js';
import { sendStatus } from './replies.js';
import { LOGIN_PATH, type LocalSignIn } from './signin.js';
import { planTriggers, startTriggers } from './triggers.js';
import { eventGridWebhook, WEBHOOK_PATH, webhookUrl } from './webhook.js';

/**
 * The local stand-in for the Azure Functions host (Core Tools cannot be installed here). It serves
 * the same FunctionDefinitions the runtime gets from lib/host/registration.ts:
 * - HTTP functions at `/api/<route>` (http-functions.ts);
 * - Event Grid functions at `/runtime/webhooks/eventgrid?functionName=<name>` (webhook.ts);
 * - timers and storage-queue triggers (triggers.ts);
 * - `POST /admin/functions/<name>` and `GET /admin/host/status` (admin.ts).
 * This file wires them: it validates every definition before opening the port, routes requests
 * by path, and stops in order. Differences from Core Tools: keys are enforced locally for
 * authLevel 'function', /admin and the Event Grid webhook (system key, as the runtime does; Core
 * Tools skips auth); one function key stands in for function, master and system keys; events of
 * one delivery run sequentially. With `signIn`, the host also stands in for App Service
 * Authentication: every HTTP function needs the key or the session cookie a one-time sign-in URL
 * sets (signin.ts), so the page works without a key in its URL.
 */

export interface FunctionHostOptions {
  /** Default 7071, as Core Tools; 0 picks a free port. */
  port?: number;
  host?: '127.0.0.1';
  functions: readonly FunctionDefinition[];
  /** Accepted as `x-functions-key` or `?code=` wherever the runtime wants a function/master key. */
  functionKey: string;
  /** Storage (Azurite) connection string for storageQueue triggers. */
  queueConnectionString?: string;
  /** App settings for `%NAME%` in schedules and queue names (default process.env). */
  settings?: Record<string, string | undefined>;
  log?: (line: string) => void;
  /** Run timers on their schedules (default true); `runNow` and /admin work either way. */
  enableTimers?: boolean;
  /** Request body limit in bytes (default 1 MiB) → 413. */
  maxBodyBytes?: number;
  /** Overrides for queue polling (tests shorten the intervals). */
  queuePolling?: { minPollMs?: number; maxPollMs?: number };
  /** App Service Authentication stand-in (local mode): serves /login and requires sign-in for HTTP functions */
  signIn?: LocalSignIn;
}

export interface FunctionHost {
  /** http://127.0.0.1:PORT */
  readonly baseUrl: string;
  /** baseUrl + '/api' */
  readonly functionsBaseUrl: string;
  /** The URL an Event Grid subscription (or the ARM sandbox) should deliver to. */
  eventGridWebhookUrl(functionName: string): string;
  /**
   * Invokes a non-HTTP function now and resolves when it finished; rejects if it failed.
   * `input`: the event (eventGrid), the message (storageQueue; a JSON string is parsed), ignored for timers.
   */
  runNow(functionName: string, input?: unknown): Promise<void>;
  /** Stops accepting work, stops timers and pollers, waits for running invocations, closes the server. */
  stop(): Promise<void>;
}

const DEFAULT_PORT = 7071;
const DEFAULT_MAX_BODY = 1024 * 1024;
const STOP_GRACE_MS = 5000;
const ALLOWED_HOSTNAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

export async function startFunctionHost(options: FunctionHostOptions): Promise<FunctionHost> {
  const log = options.log ?? ((line: string) => console.log(line));
  const host = options.host ?? '127.0.0.1';
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const { functionKey } = options;
  if (!functionKey) throw new Error('startFunctionHost: functionKey must not be empty');

  // Validate everything before opening the port, so a bad definition never half-starts the host.
  const invoker = new Invoker(log);
  const functions = new FunctionTable(options.functions, invoker);
  const api = httpFunctions({
    definitions: options.functions.filter(
      (definition): definition is HttpFunction => definition.kind === 'http',
    ),
    invoker,
    functionKey,
    maxBodyBytes,
    log,
    ...(options.signIn ? { signIn: options.signIn } : {}),
  });
  const plan = planTriggers(functions, options.settings ?? process.env, options.queueConnectionString);
  const webhook = eventGridWebhook({ functions, functionKey, maxBodyBytes, log });
  const admin = adminApi({ functions, functionKey, maxBodyBytes });
  let stopping = false;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Only local names: a page on another origin must not reach us through DNS rebinding.
    const hostHeader = req.headers.host ?? '';
    const hostname = hostHeader.replace(/:\d+$/, '').toLowerCase();
    if (!ALLOWED_HOSTNAMES.has(hostname)) return sendStatus(res, 421, 'Misdirected Request');
    if (stopping) return sendStatus(res, 503, 'Host is stopping', { connection: 'close' });
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${hostHeader}`);
    } catch {
      return sendStatus(res, 400, 'Bad Request');
    }
    const path = url.pathname;
    const lower = path.toLowerCase();
    if (lower === '/api' || lower.startsWith('/api/')) return api.handle(req, res, url, path.slice(4));
    if (lower === WEBHOOK_PATH || lower === `${WEBHOOK_PATH}/`) return webhook(req, res, url);
    if (lower === LOGIN_PATH && options.signIn) return options.signIn.handle(req, res, url);
    if (lower === '/admin/login' && options.signIn) {
      // a new one-time sign-in URL, for the key holder (`driftwarden sandbox login`)
      if (req.method !== 'POST' || !hasValidKey(req, url, functionKey))
        return sendStatus(res, 401, 'Unauthorized');
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ loginUrl: options.signIn.loginUrl(`http://${host}:${server.port}`) }));
      return;
    }
    if (lower.startsWith('/admin/')) return admin(req, res, url, path);
    return sendStatus(res, 404, 'Not Found');
  }

  const server = await startLocalServer(handle, { port: options.port ?? DEFAULT_PORT, host, log });
  const baseUrl = `http://${host}:${server.port}`;
  const triggers = startTriggers(plan, {
    functions,
    invoker,
    log,
    enableTimers: options.enableTimers ?? true,
    ...(options.queuePolling ? { queuePolling: options.queuePolling } : {}),
  });
  for (const { definition, route } of api.routes) {
    log(
      `[${definition.name}] ${definition.methods.join(',')} ${baseUrl}/api/${route.template.replace(/^\/+/, '')}`,
    );
  }

  let stopped: Promise<void> | null = null;
  return {
    baseUrl,
    functionsBaseUrl: `${baseUrl}/api`,
    eventGridWebhookUrl(functionName) {
      const definition = functions.find(functionName);
      if (definition?.kind !== 'eventGrid') {
        throw new Error(`No Event Grid function named "${functionName}"`);
      }
      return webhookUrl(baseUrl, definition.name, functionKey);
    },
    async runNow(functionName, input) {
      if (stopping) throw new Error('The local function host is stopping');
      const definition = functions.find(functionName);
      if (!definition) throw new Error(`No function named "${functionName}"`);
      const result = await functions.runNonHttp(definition, input);
      if (!result.ok) throw result.error;
    },
    stop() {
      stopped ??= (async () => {
        stopping = true;
        server.stopListening();
        await triggers.stop();
        await invoker.drain();
        await server.finish(STOP_GRACE_MS);
      })();
      return stopped;
    },
  };
}
