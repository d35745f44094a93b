import type { TokenCredential } from '@azure/core-auth';
import {
  type Agent,
  bearerTokenAuthenticationPolicy,
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
  type HttpClient,
  type Pipeline,
  type PipelineRetryOptions,
  RestError,
} from '@azure/core-rest-pipeline';

/**
 * A minimal Microsoft Graph v1.0 reader over @azure/core-rest-pipeline (the Azure SDK's HTTP
 * pipeline: retries with Retry-After on 429/503, bearer tokens cached and refreshed by the
 * credential). No Graph SDK package is installed; this is the lightest client made for Azure
 * services. Read only: it has no method that writes.
 */

/** The Graph token scope: the app's application permissions (Policy.Read.All, ...). */
export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

export interface GraphConnection {
  credential: TokenCredential;
  /** https://graph.microsoft.com (DW_GRAPH_ENDPOINT; the sandbox's /graph prefix in local mode and tests) */
  endpoint: string;
  /** TLS agent (the sandbox's self-signed certificate) */
  agent?: Agent;
  retryOptions?: PipelineRetryOptions;
}

/** Graph's error body: `{ error: { code, message, innerError } }`. */
interface GraphErrorBody {
  error?: { code?: unknown; message?: unknown; innerError?: unknown };
}

/** One sub-request of a JSON batch (`POST /v1.0/$batch`, at most 20 per batch). */
export interface BatchRequest {
  id: string;
  /** relative to /v1.0, e.g. /groups/<id>/transitiveMembers */
  url: string;
}

export interface BatchResponse {
  id: string;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export const BATCH_LIMIT = 20;

export class GraphClient {
  private readonly pipeline: Pipeline;
  private readonly http: HttpClient = createDefaultHttpClient();
  private readonly base: string;
  /** HTTP requests sent, retries included (the bench reports it) */
  requests = 0;

  constructor(connection: GraphConnection) {
    this.base = connection.endpoint.replace(/\/+$/, '');
    this.pipeline = createPipelineFromOptions({
      retryOptions: { maxRetries: 5, maxRetryDelayInMs: 30_000, ...connection.retryOptions },
      userAgentOptions: { userAgentPrefix: 'driftwarden' },
      ...(connection.agent ? { agent: connection.agent } : {}),
    });
    this.pipeline.addPolicy(
      bearerTokenAuthenticationPolicy({ credential: connection.credential, scopes: GRAPH_SCOPE }),
      { phase: 'Sign' },
    );
    this.pipeline.addPolicy(
      {
        name: 'driftwardenGraphRequestCount',
        sendRequest: (request, next) => {
          this.requests++;
          return next(request);
        },
      },
      // after the retry policy: every attempt counts
      { afterPhase: 'Retry' },
    );
  }

  /** An absolute URL for a v1.0 path, or a nextLink as Graph returned it. */
  url(pathOrUrl: string): string {
    return /^https?:\/\//i.test(pathOrUrl) ? pathOrUrl : `${this.base}/v1.0${pathOrUrl}`;
  }

  private async send(method: 'GET' | 'POST', pathOrUrl: string, body?: unknown): Promise<unknown> {
    const request = createPipelineRequest({
      url: this.url(pathOrUrl),
      method,
      headers: createHttpHeaders({
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      }),
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const response = await this.pipeline.sendRequest(this.http, request);
    const text = response.bodyAsText ?? '';
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (response.status >= 200 && response.status < 300) return parsed;
    const error = (parsed as GraphErrorBody | undefined)?.error;
    const code = typeof error?.code === 'string' ? error.code : `HTTP${response.status}`;
    const message = typeof error?.message === 'string' ? error.message : text.slice(0, 200);
    // A RestError, so the app's error classification (isTransient, statusCode) applies unchanged.
    throw new RestError(`Graph ${method} ${new URL(request.url).pathname}: ${code}: ${message}`, {
      code,
      statusCode: response.status,
      request,
      response,
    });
  }

  get(pathOrUrl: string): Promise<unknown> {
    return this.send('GET', pathOrUrl);
  }

  /** Every item of a collection, following `@odata.nextLink` until Graph stops returning one. */
  async list<T = Record<string, unknown>>(path: string): Promise<T[]> {
    const items: T[] = [];
    let next: string | undefined = path;
    while (next) {
      const page = (await this.get(next)) as { value?: T[]; '@odata.nextLink'?: string } | undefined;
      items.push(...(page?.value ?? []));
      next = page?.['@odata.nextLink'];
    }
    return items;
  }

  /**
   * GET collections in JSON batches of 20, each followed through its own nextLinks. A throttled
   * sub-request (429, with Retry-After) is retried in the next batch, up to `attempts` times.
   */
  async listBatched<T = Record<string, unknown>>(
    requests: readonly BatchRequest[],
    attempts = 5,
  ): Promise<Map<string, T[]>> {
    const results = new Map<string, T[]>();
    let pending = [...requests];
    for (let attempt = 1; pending.length > 0; attempt++) {
      const retry: BatchRequest[] = [];
      let waitSeconds = 0;
      for (let i = 0; i < pending.length; i += BATCH_LIMIT) {
        const chunk = pending.slice(i, i + BATCH_LIMIT);
        const reply = (await this.send('POST', '/$batch', {
          requests: chunk.map((request) => ({ id: request.id, method: 'GET', url: request.url })),
        })) as { responses?: BatchResponse[] } | undefined;
        const byId = new Map((reply?.responses ?? []).map((response) => [response.id, response]));
        for (const request of chunk) {
          const response = byId.get(request.id);
          if (response && response.status >= 200 && response.status < 300) {
            const page = response.body as { value?: T[]; '@odata.nextLink'?: string } | undefined;
            const items = [...(page?.value ?? [])];
            if (page?.['@odata.nextLink']) items.push(...(await this.list<T>(page['@odata.nextLink'])));
            results.set(request.id, items);
            continue;
          }
          const status = response?.status ?? 0;
          if ((status === 429 || status >= 500 || status === 0) && attempt < attempts) {
            retry.push(request);
            const after = Number(
              response?.headers?.['Retry-After'] ?? response?.headers?.['retry-after'] ?? 1,
            );
            waitSeconds = Math.max(waitSeconds, Number.isFinite(after) ? after : 1);
            continue;
          }
          const error = (response?.body as GraphErrorBody | undefined)?.error;
          throw new RestError(
            `Graph $batch GET ${request.url}: ${typeof error?.code === 'string' ? error.code : `HTTP${status}`}: ${typeof error?.message === 'string' ? error.message : 'no response'}`,
            {
              statusCode: status || undefined,
              ...(typeof error?.code === 'string' ? { code: error.code } : {}),
            },
          );
        }
      }
      if (retry.length > 0)
        await new Promise((resolve) => setTimeout(resolve, Math.min(waitSeconds, 30) * 1000));
      pending = retry;
    }
    return results;
  }
}
