/** What a route handler gets and returns; the server does auth, limits and faults around it. */
import type { IncomingHttpHeaders } from 'node:http';
import type { OperationTracker } from './lro.js';
import type { ResourceStore } from './state.js';
import type { ArmResource } from './types.js';

export interface RequestContext {
  method: string;
  url: URL;
  /** parsed JSON body (undefined when empty) */
  body: unknown;
  headers: IncomingHttpHeaders;
  /** decoded bearer-token claims of the caller */
  caller: Record<string, unknown>;
  apiVersion: string;
  /** https://127.0.0.1:PORT */
  baseUrl: string;
  correlationId: string;
  clientRequestId: string;
  /** decoded path parameters captured by the route pattern */
  params: string[];
}

export interface ArmReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface SandboxCore {
  store: ResourceStore;
  operations: OperationTracker;
  pageSize(): number;
  /** publishes the event(s) for a completed write or delete */
  recordChange(
    ctx: RequestContext,
    action: 'write' | 'delete',
    resourceType: string,
    resourceId: string,
    resource?: ArmResource,
  ): void;
}

export interface Route {
  /** stats key, e.g. 'storageAccounts.get' */
  kind: string;
  method: string;
  pattern: RegExp;
  handle(ctx: RequestContext, core: SandboxCore): ArmReply;
}

/** ARM paging: `$skiptoken` offset, `nextLink` carrying every other query parameter (api-version included). */
export function page(items: unknown[], ctx: RequestContext, pageSize: number): ArmReply {
  const skip = Math.max(0, Number.parseInt(ctx.url.searchParams.get('$skiptoken') ?? '0', 10) || 0);
  const requested = Number.parseInt(ctx.url.searchParams.get('$maxpagesize') ?? '', 10);
  const size = Number.isFinite(requested) && requested > 0 ? Math.min(requested, pageSize) : pageSize;
  const value = items.slice(skip, skip + size);
  const body: { value: unknown[]; nextLink?: string } = { value };
  if (skip + size < items.length) {
    const next = new URL(ctx.url.pathname + ctx.url.search, ctx.baseUrl);
    next.searchParams.set('$skiptoken', String(skip + size));
    body.nextLink = next.toString();
  }
  return { status: 200, body };
}

export function header(ctx: RequestContext, name: string): string | undefined {
  const value = ctx.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(',') : value;
}

export function preconditionHeaders(ctx: RequestContext): { ifMatch?: string; ifNoneMatch?: string } {
  const ifMatch = header(ctx, 'if-match');
  const ifNoneMatch = header(ctx, 'if-none-match');
  return {
    ...(ifMatch !== undefined ? { ifMatch } : {}),
    ...(ifNoneMatch !== undefined ? { ifNoneMatch } : {}),
  };
}

/** Route pattern from a path template: `{name}` captures one segment; matching is case-insensitive. */
export function path(template: string): RegExp {
  const source = template
    .split('/')
    .map((segment) => (segment.startsWith('{') ? '([^/]+)' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}/?$`, 'i');
}
