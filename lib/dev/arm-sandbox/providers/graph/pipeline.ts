/**
 * Graph's request handling around the routes: request log → body → auth (401) → stats → latency →
 * throttle (429 + Retry-After) → seeded faults → the route, or a JSON `$batch` of GETs. Shares the
 * sandbox's stats, latency, throttle buckets (one per tenant, reads) and fault draw with ARM.
 */
import type { ServerResponse } from 'node:http';
import type { FaultInjector } from '../../faults.js';
import { type RequestHandler, readBody } from '../../http.js';
import type { RequestStats } from '../../stats.js';
import type { Throttle } from '../../throttle.js';
import type { Directory } from './directory.js';
import { GRAPH_PREFIX, GraphError, type GraphReply, newRequestId, serveGraphGet } from './routes.js';

export interface GraphPipelineParts {
  directory: Directory;
  stats: RequestStats;
  throttle: Throttle;
  faults: FaultInjector;
  latencyMs(): number;
  baseUrl(): string;
  pageSize(): number;
}

const VERSION_PREFIX = `${GRAPH_PREFIX}/v1.0`;

function send(res: ServerResponse, reply: GraphReply, requestId: string): void {
  const payload = reply.body === undefined ? '' : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'request-id': requestId,
    'client-request-id': requestId,
    'content-type': 'application/json; odata.metadata=minimal; charset=utf-8',
    'content-length': String(Buffer.byteLength(payload)),
    ...reply.headers,
  });
  res.end(payload);
}

const sleep = (ms: number) =>
  ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();

export function graphPipeline(parts: GraphPipelineParts): RequestHandler {
  /** throttle and faults, per request (a batch's sub-requests count one each, as in Graph) */
  function admit(): void {
    const decision = parts.throttle.take(`graph:${parts.directory.tenantId}`, 'driftwarden', 'reads');
    if (decision && !decision.allowed) {
      parts.stats.countThrottled();
      throw new GraphError(429, 'TooManyRequests', 'Too many requests. Please retry after the delay.', {
        'retry-after': String(decision.retryAfterSeconds),
      });
    }
    const fault = parts.faults.draw();
    if (!fault) return;
    parts.stats.countFault();
    if (fault === '429')
      throw new GraphError(429, 'TooManyRequests', 'Too many requests (sandbox fault injection).', {
        'retry-after': '1',
      });
    throw new GraphError(503, 'ServiceUnavailable', 'Service unavailable (sandbox fault injection).', {
      'retry-after': '1',
    });
  }

  function get(path: string, url: URL): GraphReply {
    admit();
    const { kind, reply } = serveGraphGet(parts.directory, path, url, {
      pageSize: parts.pageSize(),
      baseUrl: parts.baseUrl(),
    });
    parts.stats.countRoute('reads', kind);
    return reply;
  }

  function batch(body: unknown, requestId: string): GraphReply {
    const requests = (body as { requests?: unknown } | undefined)?.requests;
    if (!Array.isArray(requests) || requests.length === 0 || requests.length > 20)
      throw new GraphError(400, 'BadRequest', 'A batch holds 1 to 20 requests.');
    parts.stats.countRoute('reads', 'graph.batch');
    const responses = requests.map((raw: { id?: unknown; method?: unknown; url?: unknown }) => {
      const id = String(raw.id ?? '');
      try {
        if (String(raw.method ?? 'GET').toUpperCase() !== 'GET')
          throw new GraphError(405, 'MethodNotAllowed', 'The sandbox batches GET requests only.');
        const relative = String(raw.url ?? '');
        const url = new URL(
          `${VERSION_PREFIX}${relative.startsWith('/') ? '' : '/'}${relative}`,
          parts.baseUrl(),
        );
        const reply = get(url.pathname.slice(VERSION_PREFIX.length), url);
        return {
          id,
          status: reply.status,
          headers: { 'Content-Type': 'application/json' },
          body: reply.body,
        };
      } catch (thrown) {
        const error =
          thrown instanceof GraphError ? thrown : new GraphError(500, 'InternalServerError', String(thrown));
        const headers: Record<string, string> = { 'Content-Type': 'application/json' };
        if (error.headers['retry-after']) headers['Retry-After'] = error.headers['retry-after'];
        return { id, status: error.status, headers, body: error.body(requestId) };
      }
    });
    return { status: 200, body: { responses } };
  }

  return async (req, res, url) => {
    const method = (req.method ?? 'GET').toUpperCase();
    parts.stats.logRequest(method, url.pathname);
    const requestId = newRequestId();
    try {
      const raw = await readBody(req);
      if (!/^Bearer\s+\S+/i.test(req.headers.authorization ?? ''))
        throw new GraphError(401, 'InvalidAuthenticationToken', 'Access token is empty.');
      if (!url.pathname.startsWith(`${VERSION_PREFIX}/`))
        throw new GraphError(400, 'BadRequest', 'Invalid version: the sandbox serves v1.0 only.');
      await sleep(parts.latencyMs());
      const path = url.pathname.slice(VERSION_PREFIX.length);
      if (method === 'POST' && path === '/$batch') {
        let body: unknown;
        try {
          body = raw.length > 0 ? JSON.parse(raw.toString('utf8')) : undefined;
        } catch {
          throw new GraphError(400, 'BadRequest', 'Invalid batch payload.');
        }
        admit();
        return send(res, batch(body, requestId), requestId);
      }
      if (method !== 'GET')
        throw new GraphError(405, 'Request_BadRequest', `The sandbox's Graph is read only (${method}).`);
      send(res, get(path, url), requestId);
    } catch (thrown) {
      const error =
        thrown instanceof GraphError
          ? thrown
          : new GraphError(
              500,
              'InternalServerError',
              thrown instanceof Error ? thrown.message : String(thrown),
            );
      send(res, { status: error.status, body: error.body(requestId), headers: error.headers }, requestId);
    }
  };
}
