/** The contract between the request pipeline and the providers' route handlers: what a handler gets and returns. */
import type { IncomingHttpHeaders } from 'node:http';
import type { OperationTracker } from './lro.js';
import type { PolicyStateStore } from './providers/policyinsights/states.js';
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
  /** Azure Policy compliance states (Microsoft.PolicyInsights) */
  policyStates: PolicyStateStore;
  operations: OperationTracker;
  pageSize(): number;
  /**
   * true: a write's event is published when ARM accepts it (the operation may still be running,
   * a re-read shows provisioningState Updating), as Event Grid can deliver in Azure; false: when
   * its operation completes
   */
  eventsOnAccept(): boolean;
  /** publishes the event(s) for a write or delete */
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

/** Route pattern from a path template: `{name}` captures one segment; matching is case-insensitive. */
export function path(template: string): RegExp {
  const source = template
    .split('/')
    .map((segment) => (segment.startsWith('{') ? '([^/]+)' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}/?$`, 'i');
}
