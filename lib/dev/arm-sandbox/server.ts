/**
 * startSandbox(): a local HTTPS Azure Resource Manager for the real @azure/arm-storage and
 * @azure/arm-network clients. Per request: auth (401) → api-version (400) → route (404/405) →
 * latency → per-subscription throttle (429) → seeded faults → handler. Successful writes and
 * deletes publish the Event Grid events Azure would send to the configured webhook.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TokenCredential } from '@azure/core-auth';
import { ArmError } from './arm.js';
import type { ArmReply, RequestContext, Route, SandboxCore } from './context.js';
import { callerFromAuthorization, SANDBOX_TENANT_ID, sandboxCredential } from './credential.js';
import { type DeliveredEvent, EventDelivery } from './delivery.js';
import type { SandboxEvent, WriteRecord } from './events.js';
import { FaultInjector } from './faults.js';
import { parseResourceId } from './ids.js';
import { OperationTracker } from './lro.js';
import { networkRoutes } from './routes/network.js';
import { storageRoutes } from './routes/storage.js';
import { seedScenario } from './scenario.js';
import { ResourceStore } from './state.js';
import { type RequestClass, Throttle } from './throttle.js';
import { loadOrCreateCertificate } from './tls.js';
import type {
  ArmResource,
  CallerClaims,
  FaultSettings,
  SandboxOptions,
  SandboxStats,
  Scenario,
  ThrottleSettings,
  WebhookSettings,
} from './types.js';

/** Options to spread into `new StorageManagementClient(cred, sub, { ...sandbox.clientOptions() })` (and the network client). */
export interface SandboxClientOptions {
  endpoint: string;
  /** trusts the sandbox's self-signed certificate for this client only (core-rest-pipeline's agent option) */
  agent: https.Agent;
}

export interface Sandbox {
  /** https://127.0.0.1:PORT */
  url: string;
  port: number;
  /** PEM file to trust from another process: NODE_EXTRA_CA_CERTS=<caCertPath> */
  caCertPath: string;
  caCertPem: string;
  clientOptions(): SandboxClientOptions;
  /** unsigned JWT credential with these claims (the sandbox reports them as the caller) */
  credential(claims?: CallerClaims): TokenCredential;
  seed(scenario: Scenario): void;
  /** forgets all resources, pending operations and event logs (keeps webhook, faults, stats) */
  reset(): void;
  /** a copy of the stored resource (security rules included), case-insensitive id */
  getResource(id: string): ArmResource | undefined;
  /** copies of all stored resources (rules are inside their NSG) */
  listResources(): ArmResource[];
  stats(): SandboxStats;
  /** method and path of every ARM request received since the last resetStats (newest 10,000) */
  requestLog(): { method: string; path: string }[];
  resetStats(): void;
  setFaults(faults: FaultSettings | undefined): void;
  setLatency(ms: number): void;
  setThrottle(throttle: ThrottleSettings | false): void;
  /** registers the webhook after the validation handshake (throws if the endpoint fails it); null removes it */
  setWebhook(webhook: WebhookSettings | null): Promise<void>;
  /** successfully delivered events, one entry per delivery (duplicates included), in arrival order */
  events(): DeliveredEvent[];
  /** every event generated, in emission order, whether or not a webhook is set */
  emittedEvents(): SandboxEvent[];
  /** events that exhausted their attempts or hit a no-retry status */
  deadLetteredEvents(): SandboxEvent[];
  /** resolves when no delivery is queued, in flight or waiting for a retry */
  waitForEventsIdle(): Promise<void>;
  stop(): Promise<void>;
}

const ROUTES: Route[] = [...storageRoutes, ...networkRoutes];
const MAX_BODY = 4 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new ArmError(413, 'RequestEntityTooLarge', 'The request content is too large.'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

function emptyStats(): SandboxStats {
  return {
    requests: { reads: 0, writes: 0, byKind: {} },
    throttled: 0,
    faults: 0,
    eventsDelivered: 0,
    eventsFailed: 0,
  };
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const seedValue = options.seed ?? 1;
  const timeScale = options.timeScale ?? 1;
  const tenantId = options.tenantId ?? SANDBOX_TENANT_ID;
  const certificate = await loadOrCreateCertificate(options.certDir);
  const store = new ResourceStore();
  const operations = new OperationTracker(() => (options.lroDurationMs ?? 0) * timeScale);
  const delivery = new EventDelivery(timeScale, seedValue);
  const faults = new FaultInjector(options.faults, seedValue);
  const throttle = new Throttle(options.throttle ?? false);
  let latencyMs = options.latencyMs ?? 0;
  let stats = emptyStats();
  let requestLog: { method: string; path: string }[] = [];
  let deliveredBase = 0;
  let failedBase = 0;
  const agent = new https.Agent({ ca: certificate.cert, keepAlive: true });

  const core: SandboxCore = {
    store,
    operations,
    pageSize: () => Math.max(1, options.pageSize ?? 100),
    recordChange(ctx, action, resourceType, resourceId, resource) {
      const parsed = parseResourceId(resourceId);
      const record: WriteRecord = {
        action,
        resourceId,
        resourceType,
        subscriptionId: parsed?.subscriptionId ?? '',
        resourceGroup: parsed?.resourceGroup ?? '',
        tenantId: typeof ctx.caller.tid === 'string' ? ctx.caller.tid : tenantId,
        caller: ctx.caller,
        correlationId: ctx.correlationId,
        httpRequest: {
          clientRequestId: ctx.clientRequestId,
          clientIpAddress: '127.0.0.1',
          method: ctx.method,
          url: ctx.url.toString(),
        },
        ...(resource ? { resource: structuredClone(resource) } : {}),
        apiVersion: ctx.apiVersion,
        time: new Date(),
      };
      delivery.publish(record);
    },
  };

  if (options.scenario) seedScenario(store, options.scenario);

  let baseUrl = '';

  function send(res: ServerResponse, reply: ArmReply, common: Record<string, string>): void {
    const headers: Record<string, string> = { ...common, ...reply.headers };
    let payload: string | undefined;
    if (reply.body !== undefined && reply.status !== 204) {
      payload = JSON.stringify(reply.body);
      headers['content-type'] = 'application/json; charset=utf-8';
      headers['content-length'] = String(Buffer.byteLength(payload));
    } else {
      headers['content-length'] = '0';
    }
    res.writeHead(reply.status, headers);
    res.end(payload);
  }

  async function handleArm(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    requestLog.push({ method: (req.method ?? 'GET').toUpperCase(), path: url.pathname });
    if (requestLog.length > 10_000) requestLog.shift();
    const correlationHeader = req.headers['x-ms-correlation-request-id'];
    const correlationId = typeof correlationHeader === 'string' ? correlationHeader : randomUUID();
    const common: Record<string, string> = {
      'x-ms-request-id': randomUUID(),
      'x-ms-correlation-request-id': correlationId,
      'cache-control': 'no-cache',
    };
    try {
      const raw = await readBody(req);
      const authorization = req.headers.authorization;
      if (!authorization) {
        throw new ArmError(
          401,
          'AuthenticationFailed',
          "Authentication failed. The 'Authorization' header is missing.",
          {
            'www-authenticate':
              'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", error_description="The authentication failed because of missing \'Authorization\' header."',
          },
        );
      }
      if (!/^Bearer\s+\S+/i.test(authorization)) {
        throw new ArmError(
          401,
          'AuthenticationFailed',
          "Authentication failed. The 'Authorization' header is provided in an invalid format.",
        );
      }
      const apiVersion = url.searchParams.get('api-version');
      if (!apiVersion) {
        throw new ArmError(
          400,
          'MissingApiVersionParameter',
          'The api-version query parameter (?api-version=) is required for all requests.',
        );
      }
      const method = (req.method ?? 'GET').toUpperCase();
      let matched: { route: Route; params: string[] } | undefined;
      let pathKnown = false;
      for (const route of ROUTES) {
        const match = route.pattern.exec(url.pathname);
        if (!match) continue;
        pathKnown = true;
        if (route.method === method) {
          matched = { route, params: match.slice(1).map((part) => decodeURIComponent(part)) };
          break;
        }
      }
      if (!matched) {
        if (pathKnown)
          throw new ArmError(
            405,
            'HttpMethodNotSupported',
            `The requested resource does not support http method '${method}'.`,
          );
        throw new ArmError(404, 'NotFound', `The ARM sandbox does not serve '${url.pathname}'.`);
      }
      const requestClass: RequestClass = method === 'GET' ? 'reads' : 'writes';
      const subscriptionId = matched.params[0] ?? '';
      stats.requests[requestClass]++;
      stats.requests.byKind[matched.route.kind] = (stats.requests.byKind[matched.route.kind] ?? 0) + 1;

      await sleep(latencyMs);

      const decision = throttle.take(subscriptionId, requestClass);
      if (decision)
        common[`x-ms-ratelimit-remaining-subscription-${requestClass}`] = String(decision.remaining);
      if (decision && !decision.allowed) {
        stats.throttled++;
        throw new ArmError(
          429,
          'SubscriptionRequestsThrottled',
          `Number of '${requestClass === 'reads' ? 'read' : 'write'}' requests for subscription '${subscriptionId}' exceeded. Please try again after '${decision.retryAfterSeconds}' seconds after additional tokens are available.`,
          { 'retry-after': String(decision.retryAfterSeconds) },
        );
      }

      const fault = faults.draw();
      if (fault) {
        stats.faults++;
        switch (fault) {
          case 'reset':
            req.socket.destroy();
            return;
          case '500':
            throw new ArmError(
              500,
              'InternalServerError',
              'Encountered internal server error. Diagnostic information: sandbox fault injection.',
            );
          case '409':
            throw new ArmError(
              409,
              'AnotherOperationInProgress',
              'Another operation on this or dependent resource is in progress. Retry the request after it completes.',
            );
          case '429':
            throw new ArmError(
              429,
              'TooManyRequests',
              'The request is being throttled (sandbox fault injection).',
              { 'retry-after': '1' },
            );
        }
      }

      let body: unknown;
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          throw new ArmError(
            400,
            'InvalidRequestContent',
            'The request content was invalid and could not be deserialized.',
          );
        }
      }
      const clientRequestId = req.headers['x-ms-client-request-id'];
      const ctx: RequestContext = {
        method,
        url,
        body,
        headers: req.headers,
        caller: callerFromAuthorization(authorization),
        apiVersion,
        baseUrl,
        correlationId,
        clientRequestId: typeof clientRequestId === 'string' ? clientRequestId : randomUUID(),
        params: matched.params,
      };
      send(res, matched.route.handle(ctx, core), common);
    } catch (thrown) {
      if (thrown instanceof ArmError) {
        send(res, { status: thrown.status, body: thrown.body(), headers: thrown.headers }, common);
      } else {
        const message = thrown instanceof Error ? thrown.message : String(thrown);
        send(res, { status: 500, body: { error: { code: 'InternalServerError', message } } }, common);
      }
    }
  }

  const sandbox: Sandbox = {
    url: '',
    port: 0,
    caCertPath: certificate.certPath,
    caCertPem: certificate.cert,
    clientOptions: () => ({ endpoint: sandbox.url, agent }),
    credential: (claims) => sandboxCredential(claims, tenantId),
    seed: (scenario) => seedScenario(store, scenario),
    reset() {
      operations.clear();
      store.clear();
      delivery.clearLogs();
    },
    getResource: (id) => store.lookup(id),
    listResources: () => store.all(),
    stats: () => ({
      ...structuredClone(stats),
      eventsDelivered: delivery.deliveredCount - deliveredBase,
      eventsFailed: delivery.failedCount - failedBase,
    }),
    requestLog: () => [...requestLog],
    resetStats() {
      stats = emptyStats();
      requestLog = [];
      deliveredBase = delivery.deliveredCount;
      failedBase = delivery.failedCount;
    },
    setFaults: (settings) => faults.configure(settings, seedValue),
    setLatency(ms) {
      latencyMs = Math.max(0, ms);
    },
    setThrottle: (settings) => throttle.configure(settings),
    setWebhook: (webhook) => delivery.setWebhook(webhook),
    events: () => [...delivery.delivered],
    emittedEvents: () => [...delivery.emitted],
    deadLetteredEvents: () => [...delivery.deadLettered],
    waitForEventsIdle: () => delivery.waitForIdle(),
    async stop() {
      delivery.stop();
      operations.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      agent.destroy();
    },
  };

  const admin = adminApi(sandbox);
  const server = https.createServer(
    { key: certificate.key, cert: certificate.cert, keepAliveTimeout: 30_000 },
    (req, res) => {
      const url = new URL(req.url ?? '/', baseUrl);
      const handled = url.pathname.startsWith('/_sandbox/') ? admin(req, res, url) : handleArm(req, res, url);
      handled.catch(() => res.destroy());
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `https://127.0.0.1:${port}`;
  sandbox.url = baseUrl;
  sandbox.port = port;
  if (options.webhook) {
    try {
      await sandbox.setWebhook(options.webhook);
    } catch (error) {
      await sandbox.stop();
      throw error;
    }
  }
  return sandbox;
}

/**
 * A small unauthenticated admin API on the same port (loopback only) so a sandbox started from the
 * command line can be inspected and steered: /_sandbox/{resources,resource?id=,stats,events,
 * reset,seed,faults,latency,throttle,webhook}.
 */
function adminApi(sandbox: Sandbox): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> {
  return async (req, res, url) => {
    const reply = (status: number, body?: unknown) => {
      const payload = body === undefined ? '' : JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(Buffer.byteLength(payload)),
      });
      res.end(payload);
    };
    try {
      const raw = await readBody(req);
      const body: unknown = raw.length > 0 ? JSON.parse(raw.toString('utf8')) : undefined;
      const route = `${req.method ?? 'GET'} ${url.pathname.replace(/\/$/, '')}`;
      switch (route) {
        case 'GET /_sandbox/resources':
          return reply(200, { value: sandbox.listResources() });
        case 'GET /_sandbox/resource': {
          const resource = sandbox.getResource(url.searchParams.get('id') ?? '');
          return resource
            ? reply(200, resource)
            : reply(404, { error: { code: 'NotFound', message: 'no such resource' } });
        }
        case 'GET /_sandbox/stats':
          return reply(200, sandbox.stats());
        case 'POST /_sandbox/stats/reset':
          sandbox.resetStats();
          return reply(204);
        case 'GET /_sandbox/events':
          return reply(200, { delivered: sandbox.events(), emitted: sandbox.emittedEvents() });
        case 'POST /_sandbox/reset':
          sandbox.reset();
          return reply(204);
        case 'POST /_sandbox/seed':
          sandbox.seed(body as Scenario);
          return reply(204);
        case 'PUT /_sandbox/faults':
          sandbox.setFaults(body as FaultSettings | undefined);
          return reply(204);
        case 'PUT /_sandbox/latency':
          sandbox.setLatency(Number((body as { ms?: unknown } | undefined)?.ms ?? 0));
          return reply(204);
        case 'PUT /_sandbox/throttle':
          sandbox.setThrottle((body ?? false) as ThrottleSettings | false);
          return reply(204);
        case 'PUT /_sandbox/webhook':
          await sandbox.setWebhook((body ?? null) as WebhookSettings | null);
          return reply(204);
        default:
          return reply(404, { error: { code: 'NotFound', message: `unknown admin route ${route}` } });
      }
    } catch (thrown) {
      reply(400, {
        error: { code: 'BadRequest', message: thrown instanceof Error ? thrown.message : String(thrown) },
      });
    }
  };
}
