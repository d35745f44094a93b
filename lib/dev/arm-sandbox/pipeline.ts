/**
 * The ARM request pipeline, in the order Azure applies it: request log → body → auth (401) →
 * api-version (400) → route (404/405) → stats → latency → per-subscription throttle (429) →
 * resource group (404) → seeded faults → JSON body (400) → the provider's handler. Every reply carries ARM's request and
 * correlation ids; errors are answered in ARM's `{ "error": { code, message } }` shape.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { ArmError, resourceGroupNotFound } from './arm.js';
import type { ArmReply, RequestContext, SandboxCore } from './context.js';
import { callerFromAuthorization } from './credential.js';
import type { FaultInjector } from './faults.js';
import { type RequestHandler, readBody } from './http.js';
import { matchRoute } from './router.js';
import type { RequestStats } from './stats.js';
import type { RequestClass, Throttle } from './throttle.js';
import type { FaultKind } from './types.js';

/** What the pipeline reads at request time (latency and base URL can change after start). */
export interface PipelineParts {
  core: SandboxCore;
  stats: RequestStats;
  throttle: Throttle;
  faults: FaultInjector;
  latencyMs(): number;
  /** https://127.0.0.1:PORT */
  baseUrl(): string;
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

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

/** The bearer `Authorization` header (its token is never verified: the sandbox trusts any caller). */
function authenticate(authorization: string | undefined): string {
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
  return authorization;
}

function requireApiVersion(url: URL): string {
  const apiVersion = url.searchParams.get('api-version');
  if (!apiVersion) {
    throw new ArmError(
      400,
      'MissingApiVersionParameter',
      'The api-version query parameter (?api-version=) is required for all requests.',
    );
  }
  return apiVersion;
}

/** Takes a token from the subscription's bucket; reports what is left in `common`, throws ARM's 429 when empty. */
function throttle(
  parts: PipelineParts,
  subscriptionId: string,
  principal: string,
  requestClass: RequestClass,
  common: Record<string, string>,
): void {
  const decision = parts.throttle.take(subscriptionId, principal, requestClass);
  if (decision) {
    common[`x-ms-ratelimit-remaining-subscription-${requestClass}`] = String(decision.remaining);
    common[`x-ms-ratelimit-remaining-subscription-global-${requestClass}`] = String(decision.globalRemaining);
  }
  if (decision && !decision.allowed) {
    parts.stats.countThrottled();
    throw new ArmError(
      429,
      'SubscriptionRequestsThrottled',
      `Number of '${requestClass === 'reads' ? 'read' : 'write'}' requests for subscription '${subscriptionId}' exceeded. Please try again after '${decision.retryAfterSeconds}' seconds after additional tokens are available.`,
      { 'retry-after': String(decision.retryAfterSeconds) },
    );
  }
}

/** The error an injected fault answers with (a 'reset' drops the connection instead). */
function faultError(fault: Exclude<FaultKind, 'reset'>): ArmError {
  switch (fault) {
    case '500':
      return new ArmError(
        500,
        'InternalServerError',
        'Encountered internal server error. Diagnostic information: sandbox fault injection.',
      );
    case '409':
      // the shape the network RP uses when a dependent resource is mid-operation
      return new ArmError(
        409,
        'AnotherOperationInProgress',
        'Another operation on this or dependent resource is in progress. To retrieve status of the operation use uri: (sandbox fault injection).',
        {},
        [
          {
            code: 'AnotherOperationInProgress',
            message:
              'Another operation on this or dependent resource is in progress (sandbox fault injection).',
          },
        ],
      );
    case '429':
      return new ArmError(
        429,
        'TooManyRequests',
        'The request is being throttled (sandbox fault injection).',
        {
          'retry-after': '1',
        },
      );
  }
}

/** Who the token bucket belongs to: the caller's object id (or app id / upn) from the bearer token. */
function principalOf(caller: Record<string, unknown>): string {
  for (const claim of ['oid', 'appid', 'upn']) {
    const value = caller[claim];
    if (typeof value === 'string' && value !== '') return value;
  }
  return 'anonymous';
}

const RESOURCE_GROUP_IN_PATH = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)/i;

/**
 * ARM refuses anything addressed into a resource group that does not exist. A PUT is let through:
 * the sandbox has no resource-group API, so a first PUT brings its group into being.
 */
function requireResourceGroup(parts: PipelineParts, method: string, pathname: string): void {
  if (method === 'PUT') return;
  const match = RESOURCE_GROUP_IN_PATH.exec(pathname);
  if (!match) return;
  const [, subscription = '', group = ''] = match;
  const decoded = decodeURIComponent(group);
  if (!parts.core.store.hasResourceGroup(decodeURIComponent(subscription), decoded))
    throw resourceGroupNotFound(decoded);
}

function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new ArmError(
      400,
      'InvalidRequestContent',
      'The request content was invalid and could not be deserialized.',
    );
  }
}

export function armPipeline(parts: PipelineParts): RequestHandler {
  return async (req, res, url) => {
    const method = (req.method ?? 'GET').toUpperCase();
    parts.stats.logRequest(method, url.pathname);
    const correlationHeader = req.headers['x-ms-correlation-request-id'];
    const correlationId = typeof correlationHeader === 'string' ? correlationHeader : randomUUID();
    const common: Record<string, string> = {
      'x-ms-request-id': randomUUID(),
      'x-ms-correlation-request-id': correlationId,
      'cache-control': 'no-cache',
    };
    try {
      const raw = await readBody(req);
      const authorization = authenticate(req.headers.authorization);
      const apiVersion = requireApiVersion(url);
      const matched = matchRoute(method, url.pathname);
      const requestClass: RequestClass = method === 'GET' ? 'reads' : 'writes';
      parts.stats.countRoute(requestClass, matched.route.kind);

      await sleep(parts.latencyMs());
      const caller = callerFromAuthorization(authorization);
      throttle(parts, matched.params[0] ?? '', principalOf(caller), requestClass, common);
      requireResourceGroup(parts, method, url.pathname);

      const fault = parts.faults.draw();
      if (fault) {
        parts.stats.countFault();
        if (fault === 'reset') {
          req.socket.destroy();
          return;
        }
        throw faultError(fault);
      }

      const clientRequestId = req.headers['x-ms-client-request-id'];
      const ctx: RequestContext = {
        method,
        url,
        body: parseJson(raw),
        headers: req.headers,
        caller,
        apiVersion,
        baseUrl: parts.baseUrl(),
        correlationId,
        clientRequestId: typeof clientRequestId === 'string' ? clientRequestId : randomUUID(),
        params: matched.params,
      };
      send(res, matched.route.handle(ctx, parts.core), common);
    } catch (thrown) {
      if (thrown instanceof ArmError) {
        send(res, { status: thrown.status, body: thrown.body(), headers: thrown.headers }, common);
      } else {
        const message = thrown instanceof Error ? thrown.message : String(thrown);
        send(res, { status: 500, body: { error: { code: 'InternalServerError', message } } }, common);
      }
    }
  };
}
