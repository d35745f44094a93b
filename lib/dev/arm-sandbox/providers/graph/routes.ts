/**
 * Microsoft Graph v1.0, the subset driftwarden reads, under the sandbox's `/graph` prefix (so
 * DW_GRAPH_ENDPOINT=https://127.0.0.1:PORT/graph): collections paged with `$top` / `$skiptoken`
 * and an absolute `@odata.nextLink`, `$expand=principal` on role assignments, transitive group
 * members, access review instances, and JSON `$batch`. Errors in Graph's shape
 * `{ error: { code, message, innerError: { date, request-id, client-request-id } } }`.
 */
import { randomUUID } from 'node:crypto';
import type { Directory } from './directory.js';

export const GRAPH_PREFIX = '/graph';

export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'GraphError';
  }

  body(requestId: string): unknown {
    return {
      error: {
        code: this.code,
        message: this.message,
        innerError: {
          date: new Date().toISOString(),
          'request-id': requestId,
          'client-request-id': requestId,
        },
      },
    };
  }
}

export interface GraphReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface GraphRoute {
  kind: string;
  pattern: RegExp;
  list(directory: Directory, params: string[], url: URL): Record<string, unknown>[];
}

const seg = '([^/]+)';
const ROUTES: GraphRoute[] = [
  {
    kind: 'graph.organization',
    pattern: /^\/organization$/i,
    list: (d) => [{ id: d.tenantId, displayName: 'Sandbox tenant' }],
  },
  {
    kind: 'graph.conditionalAccessPolicies',
    pattern: /^\/identity\/conditionalAccess\/policies$/i,
    list: (d) => d.spec.conditionalAccessPolicies,
  },
  {
    kind: 'graph.roleDefinitions',
    pattern: /^\/roleManagement\/directory\/roleDefinitions$/i,
    list: (d) => d.spec.roleDefinitions.map((role) => ({ templateId: role.id, isBuiltIn: true, ...role })),
  },
  {
    kind: 'graph.roleAssignments',
    pattern: /^\/roleManagement\/directory\/roleAssignments$/i,
    list: (d, _p, url) => assignments(d, d.spec.roleAssignments, url, 'ra'),
  },
  {
    kind: 'graph.roleEligibilitySchedules',
    pattern: /^\/roleManagement\/directory\/roleEligibilitySchedules$/i,
    list: (d, _p, url) => {
      if (d.spec.pimUnlicensed)
        throw new GraphError(400, 'AadPremiumLicenseRequired', 'The tenant needs an AAD Premium 2 license.');
      return assignments(d, d.spec.roleEligibilitySchedules, url, 'es');
    },
  },
  {
    kind: 'graph.groupMembers',
    pattern: new RegExp(`^/groups/${seg}/transitiveMembers(/microsoft\\.graph\\.user)?$`, 'i'),
    list: (d, [groupId = '']) => {
      if (!d.group(groupId))
        throw new GraphError(
          404,
          'Request_ResourceNotFound',
          `Resource '${groupId}' does not exist or one of its queried reference-property objects are not present.`,
        );
      return d.transitiveUsers(groupId).map((user) => ({ '@odata.type': '#microsoft.graph.user', ...user }));
    },
  },
  {
    kind: 'graph.accessReviewDefinitions',
    pattern: /^\/identityGovernance\/accessReviews\/definitions$/i,
    list: (d) => d.spec.accessReviews.map(({ instances: _instances, ...definition }) => definition),
  },
  {
    kind: 'graph.accessReviewInstances',
    pattern: new RegExp(`^/identityGovernance/accessReviews/definitions/${seg}/instances$`, 'i'),
    list: (d, [id = '']) => {
      const review = d.spec.accessReviews.find((r) => r.id.toLowerCase() === id.toLowerCase());
      if (!review) throw new GraphError(404, 'NotFound', `AccessReviewScheduleDefinition ${id} not found.`);
      return review.instances ?? [];
    },
  },
];

function assignments(
  d: Directory,
  items: Directory['spec']['roleAssignments'],
  url: URL,
  prefix: string,
): Record<string, unknown>[] {
  const expand = (url.searchParams.get('$expand') ?? '').toLowerCase() === 'principal';
  return items.map((item, index) => ({
    id: item.id ?? `${prefix}-${index}`,
    directoryScopeId: item.directoryScopeId ?? '/',
    roleDefinitionId: item.roleDefinitionId,
    principalId: item.principalId,
    ...(expand ? { principal: d.principal(item.principalId) } : {}),
  }));
}

/** Graph's $select: keep only the named properties (and @odata.* annotations). */
function select(items: Record<string, unknown>[], url: URL): Record<string, unknown>[] {
  const names = (url.searchParams.get('$select') ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  if (names.length === 0) return items;
  return items.map((item) =>
    Object.fromEntries(
      Object.entries(item).filter(([key]) => key.startsWith('@odata') || names.includes(key)),
    ),
  );
}

export interface GraphServeOptions {
  /** items per page before a nextLink (Graph: 100 by default on most collections) */
  pageSize: number;
  /** https://127.0.0.1:PORT */
  baseUrl: string;
}

/** Serves one GET of a v1.0 path (`/identity/...`, already without /graph/v1.0), paged. */
export function serveGraphGet(
  directory: Directory,
  path: string,
  url: URL,
  options: GraphServeOptions,
): { kind: string; reply: GraphReply } {
  for (const route of ROUTES) {
    const match = route.pattern.exec(path.replace(/\/$/, ''));
    if (!match) continue;
    const params = match.slice(1).map((part) => decodeURIComponent(part ?? ''));
    const items = select(route.list(directory, params, url), url);
    const top = Number.parseInt(url.searchParams.get('$top') ?? '', 10);
    const size = Number.isFinite(top) && top > 0 ? Math.min(top, 999) : options.pageSize;
    const token = url.searchParams.get('$skiptoken');
    const skip = token ? Number.parseInt(Buffer.from(token, 'base64url').toString('utf8'), 10) || 0 : 0;
    const body: Record<string, unknown> = {
      '@odata.context': `${options.baseUrl}${GRAPH_PREFIX}/v1.0/$metadata#${route.kind.slice(6)}`,
      value: items.slice(skip, skip + size),
    };
    if (skip + size < items.length) {
      const next = new URL(url.toString());
      next.searchParams.set('$skiptoken', Buffer.from(String(skip + size)).toString('base64url'));
      body['@odata.nextLink'] = next.toString();
    }
    return { kind: route.kind, reply: { status: 200, body } };
  }
  throw new GraphError(
    400,
    'BadRequest',
    `Resource not found for the segment '${path.split('/')[1] ?? ''}'.`,
  );
}

export const newRequestId = () => randomUUID();
