import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventGridEvent, Timer } from '@azure/functions';
import { QueueClient } from '@azure/storage-queue';
import type { FunctionDefinition } from '../../host/registration.js';
import { toError } from '../../util/errors.js';
import { resolveAppSettings } from './app-settings.js';
import { classifyWebhookRequest } from './event-grid.js';
import {
  hasValidKey,
  presentedKey,
  readBody,
  sendJson,
  sendStatus,
  toHttpRequest,
  toHttpResponse,
  writeHttpResponse,
} from './http-bridge.js';
import { Invoker } from './invoker.js';
import { parseNcrontab } from './ncrontab.js';
import { QueuePoller } from './queue-poller.js';
import { byPrecedence, compileRoute } from './routes.js';
import { TimerScheduler, timerInfo } from './timer-scheduler.js';

/**
 * The local stand-in for the Azure Functions host (Core Tools cannot be installed here). It serves
 * the same FunctionDefinitions the runtime gets from lib/host/registration.ts:
 * - HTTP functions at `/api/<route>` (route templates, methods, authLevel 'function' → key required);
 * - Event Grid functions at `/runtime/webhooks/eventgrid?functionName=<name>` (handshake, one
 *   invocation per event, 500 when any fails so the sender retries);
 * - timers on their NCRONTAB schedule (UTC), storage-queue triggers polling Azurite;
 * - `POST /admin/functions/<name>` `{ "input": "…" }` → 202, runs any non-HTTP function now;
 * - `GET /admin/host/status` → `{ state: "Running" }` (readiness probe, no key).
 * Differences from Core Tools: keys are enforced locally for authLevel 'function' and /admin
 * (Core Tools skips auth); the webhook takes no key but rejects a wrong one; one function key
 * stands in for function, master and system keys; events of one delivery run sequentially.
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

type HttpFunction = Extract<FunctionDefinition, { kind: 'http' }>;
type QueueFunction = Extract<FunctionDefinition, { kind: 'storageQueue' }>;

const DEFAULT_PORT = 7071;
const DEFAULT_MAX_BODY = 1024 * 1024;
const STOP_GRACE_MS = 5000;
const ALLOWED_HOSTNAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

function parseJsonInput(input: unknown): unknown {
  if (typeof input !== 'string') return input;
  try {
    return JSON.parse(input);
  } catch {
    return input;
  }
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`port ${port} is in use — stop the other process or set DW_LOCAL_PORT`)
          : error,
      );
    };
    const onListening = () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

export async function startFunctionHost(options: FunctionHostOptions): Promise<FunctionHost> {
  const log = options.log ?? ((line: string) => console.log(line));
  const settings = options.settings ?? process.env;
  const host = options.host ?? '127.0.0.1';
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  if (!options.functionKey) throw new Error('startFunctionHost: functionKey must not be empty');

  // Validate everything before opening the port, so a bad definition never half-starts the host.
  const byName = new Map<string, FunctionDefinition>();
  for (const definition of options.functions) {
    const key = definition.name.toLowerCase(); // function names are case-insensitive in the runtime
    if (byName.has(key)) throw new Error(`Function "${definition.name}" is defined twice`);
    byName.set(key, definition);
  }
  const routes = options.functions
    .filter((definition): definition is HttpFunction => definition.kind === 'http')
    .map((definition) => ({ definition, route: compileRoute(definition.route) }))
    .sort((a, b) => byPrecedence(a.route, b.route));
  const schedules = options.functions.flatMap((definition) =>
    definition.kind === 'timer'
      ? [
          {
            definition,
            schedule: parseNcrontab(
              resolveAppSettings(definition.schedule, settings, `Function "${definition.name}" schedule`),
            ),
          },
        ]
      : [],
  );
  const queueFunctions = options.functions
    .filter((definition): definition is QueueFunction => definition.kind === 'storageQueue')
    .map((definition) => {
      const queueName = resolveAppSettings(
        definition.queueName,
        settings,
        `Function "${definition.name}" queueName`,
      );
      const connectionString = options.queueConnectionString ?? settings[definition.connection];
      if (!connectionString) {
        throw new Error(
          `Function "${definition.name}" needs a storage queue: pass queueConnectionString (Azurite) or set ${definition.connection}`,
        );
      }
      return { definition, queueName, connectionString };
    });

  const invoker = new Invoker(log);
  let stopping = false;

  function find(name: string): FunctionDefinition | undefined {
    return byName.get(name.toLowerCase());
  }

  /** Runs a non-HTTP function with the input its trigger would provide. */
  function invokeNonHttp(definition: FunctionDefinition, input: unknown, timer?: Timer) {
    switch (definition.kind) {
      case 'timer':
        return invoker.invoke(definition.name, 'timer', (context) =>
          definition.handler(timer ?? timerInfo(null, null, false), context),
        );
      case 'eventGrid':
        return invoker.invoke(definition.name, 'eventGrid', (context) =>
          // CloudEvents arrive as-is too: the worker hands the handler whatever JSON was delivered.
          definition.handler(parseJsonInput(input) as EventGridEvent, context),
        );
      case 'storageQueue':
        return invoker.invoke(definition.name, 'storageQueue', (context) =>
          definition.handler(parseJsonInput(input), context),
        );
      case 'http':
        throw new Error(
          `Function "${definition.name}" is HTTP-triggered: call it under /api/${definition.route}`,
        );
    }
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL, path: string): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    let matched: { definition: HttpFunction; params: Record<string, string> } | null = null;
    for (const { definition, route } of routes) {
      const params = route.match(path);
      // The runtime treats the method list as a route constraint: a method mismatch is a 404.
      if (params && (definition.methods as string[]).includes(method === 'HEAD' ? 'GET' : method)) {
        matched = { definition, params };
        break;
      }
    }
    if (!matched) return sendStatus(res, 404, 'Not Found');
    const { definition, params } = matched;
    if (definition.authLevel === 'function' && !hasValidKey(req, url, options.functionKey)) {
      return sendStatus(res, 401, 'Unauthorized');
    }
    const body = await readBody(req, maxBody);
    if (!body.ok) return sendStatus(res, 413, 'Payload Too Large', { connection: 'close' });
    const request = toHttpRequest(req, url, params, body.body);
    const result = await invoker.invoke(definition.name, 'http', async (context) => {
      // Convert inside the invocation: a response the worker could not convert fails the invocation.
      return toHttpResponse(await definition.handler(request, context));
    });
    if (!result.ok) return sendStatus(res, 500, 'Internal Server Error');
    try {
      await writeHttpResponse(res, result.value, method);
    } catch (thrown) {
      log(`[${definition.name}] writing the response failed: ${toError(thrown).message}`);
      res.destroy();
    }
  }

  async function handleEventGrid(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const name = url.searchParams.get('functionName') ?? '';
    const definition = find(name);
    if (definition?.kind !== 'eventGrid') {
      return sendStatus(res, 404, `cannot find Event Grid function: '${name}'`);
    }
    // Core Tools does not check the system key locally; we accept none but refuse a wrong one.
    if (presentedKey(req, url) && !hasValidKey(req, url, options.functionKey)) {
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
    const body = await readBody(req, maxBody);
    if (!body.ok) return sendStatus(res, 413, 'Payload Too Large', { connection: 'close' });
    const header = req.headers['aeg-event-type'];
    const request = classifyWebhookRequest(
      Array.isArray(header) ? header[0] : header,
      req.headers['content-type'],
      body.body.toString('utf8'),
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
          const result = await invokeNonHttp(definition, event);
          if (!result.ok) return sendStatus(res, 500, result.error.message);
        }
        return sendStatus(res, 202); // the extension answers 202 Accepted
      }
    }
  }

  async function handleAdmin(
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
    if (!hasValidKey(req, url, options.functionKey)) return sendStatus(res, 401, 'Unauthorized');
    if (method !== 'POST') return sendStatus(res, 405, 'Method Not Allowed', { allow: 'POST' });
    const definition = find(decodeURIComponent(match[1] ?? ''));
    if (!definition) return sendStatus(res, 404, 'Not Found');
    if (definition.kind === 'http')
      return sendStatus(res, 400, `"${definition.name}" is HTTP-triggered; call it under /api`);
    const body = await readBody(req, maxBody);
    if (!body.ok) return sendStatus(res, 413, 'Payload Too Large', { connection: 'close' });
    let input: unknown;
    try {
      const text = body.body.toString('utf8').trim();
      input = text ? (JSON.parse(text) as { input?: unknown }).input : undefined;
    } catch {
      return sendStatus(res, 400, 'body must be JSON like { "input": "..." }');
    }
    // Like the runtime: accepted now, run in the background; the outcome goes to the log.
    void invokeNonHttp(definition, input);
    return sendStatus(res, 202);
  }

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
    if (lower === '/api' || lower.startsWith('/api/')) return handleApi(req, res, url, path.slice(4));
    if (lower === '/runtime/webhooks/eventgrid' || lower === '/runtime/webhooks/eventgrid/') {
      return handleEventGrid(req, res, url);
    }
    if (lower.startsWith('/admin/')) return handleAdmin(req, res, url, path);
    return sendStatus(res, 404, 'Not Found');
  }

  // Requests whose response is not fully written yet: stop() lets them finish.
  const openResponses = new Set<Promise<void>>();
  const server = createServer((req, res) => {
    const finished = new Promise<void>((resolve) => res.once('close', () => resolve()));
    openResponses.add(finished);
    void finished.then(() => openResponses.delete(finished));
    handle(req, res).catch((thrown: unknown) => {
      log(`local host: request ${req.method} ${req.url} failed: ${toError(thrown).stack}`);
      if (!res.headersSent) sendStatus(res, 500, 'Internal Server Error');
      else res.destroy();
    });
  });

  const port = await listen(server, options.port ?? DEFAULT_PORT, host);
  const baseUrl = `http://${host}:${port}`;

  const timers =
    (options.enableTimers ?? true)
      ? schedules.map(({ definition, schedule }) => {
          const scheduler = new TimerScheduler(schedule, (timer) =>
            invokeNonHttp(definition, undefined, timer),
          );
          scheduler.start();
          log(
            `[${definition.name}] timer "${schedule.expression}" (UTC), next run ${scheduler.nextOccurrence?.toISOString() ?? 'never'}`,
          );
          return scheduler;
        })
      : [];

  const pollers = queueFunctions.map(({ definition, queueName, connectionString }) => {
    const poller = new QueuePoller({
      functionName: definition.name,
      queue: new QueueClient(connectionString, queueName),
      poisonQueue: new QueueClient(connectionString, `${queueName}-poison`),
      log,
      settings: options.queuePolling,
      handle: async (value, message) => {
        const result = await invoker.invoke(
          definition.name,
          'storageQueue',
          (context) => definition.handler(value, context),
          {
            id: message.messageId,
            dequeueCount: message.dequeueCount,
            insertionTime: message.insertedOn.toISOString(),
            expirationTime: message.expiresOn.toISOString(),
            nextVisibleTime: message.nextVisibleOn.toISOString(),
            popReceipt: message.popReceipt,
          },
        );
        return result.ok;
      },
    });
    poller.start();
    log(`[${definition.name}] polling queue "${queueName}"`);
    return poller;
  });

  for (const { definition, route } of routes) {
    log(
      `[${definition.name}] ${definition.methods.join(',')} ${baseUrl}/api/${route.template.replace(/^\/+/, '')}`,
    );
  }

  let stopped: Promise<void> | null = null;

  return {
    baseUrl,
    functionsBaseUrl: `${baseUrl}/api`,
    eventGridWebhookUrl(functionName) {
      const definition = find(functionName);
      if (definition?.kind !== 'eventGrid') {
        throw new Error(`No Event Grid function named "${functionName}"`);
      }
      return `${baseUrl}/runtime/webhooks/eventgrid?functionName=${encodeURIComponent(definition.name)}`;
    },
    async runNow(functionName, input) {
      if (stopping) throw new Error('The local function host is stopping');
      const definition = find(functionName);
      if (!definition) throw new Error(`No function named "${functionName}"`);
      const result = await invokeNonHttp(definition, input);
      if (!result.ok) throw result.error;
    },
    stop() {
      stopped ??= (async () => {
        stopping = true;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await Promise.all([
          ...timers.map((timer) => timer.stop()),
          ...pollers.map((poller) => poller.stop()),
        ]);
        await invoker.drain();
        // Bounded: a client that never finishes sending its body must not hold stop() forever.
        const grace = new AbortController();
        await Promise.race([
          Promise.all(openResponses),
          sleep(STOP_GRACE_MS, undefined, { signal: grace.signal }).catch(() => undefined),
        ]);
        grace.abort();
        // Responses are written by now; drop keep-alive sockets so close() can finish.
        server.closeAllConnections();
        await closed;
      })();
      return stopped;
    },
  };
}
