/**
 * Microsoft.PolicyInsights `policyStates/{latest|default}/queryResults` for a subscription: POST
 * (the SDK's first page), GET for its `@odata.nextLink`. `$filter` understands what driftwarden
 * sends: `field eq 'value'` clauses joined by `or` (field names compared case-insensitively).
 */
import { badRequest } from '../../arm.js';
import type { ArmReply, RequestContext, Route, SandboxCore } from '../../context.js';
import { path } from '../../context.js';

function parseFilter(filter: string | null): ((state: Record<string, unknown>) => boolean) | null {
  if (!filter || filter.trim() === '') return null;
  const clauses = filter.split(/\s+or\s+/i).map((clause) => {
    const match = /^\(?\s*(\w+)\s+eq\s+'([^']*)'\s*\)?$/i.exec(clause.trim());
    if (!match?.[1] || match[2] === undefined)
      throw badRequest(
        'InvalidFilterInQueryString',
        `The sandbox cannot parse the $filter clause '${clause}'.`,
      );
    return { field: match[1].toLowerCase(), value: match[2].toLowerCase() };
  });
  return (state) =>
    clauses.some(({ field, value }) => {
      const key = Object.keys(state).find((name) => name.toLowerCase() === field);
      const actual = key === undefined ? undefined : state[key];
      return typeof actual === 'string' && actual.toLowerCase() === value;
    });
}

function query(
  ctx: RequestContext,
  core: SandboxCore & { policyStates: { forSubscription(id: string): Record<string, unknown>[] } },
): ArmReply {
  const [subscriptionId = '', resource = ''] = ctx.params;
  if (!/^(latest|default)$/i.test(resource))
    throw badRequest(
      'InvalidPolicyStatesResource',
      `policyStatesResource must be 'latest' or 'default', not '${resource}'.`,
    );
  const matches = parseFilter(ctx.url.searchParams.get('$filter'));
  const all = core.policyStates
    .forSubscription(subscriptionId)
    .filter((state) => (matches ? matches(state) : true));
  const top = Number.parseInt(ctx.url.searchParams.get('$top') ?? '', 10);
  const size = Number.isFinite(top) && top > 0 ? Math.min(top, core.pageSize()) : core.pageSize();
  const skip = Number.parseInt(ctx.url.searchParams.get('$skiptoken') ?? '0', 10) || 0;
  const body: Record<string, unknown> = {
    '@odata.context':
      'https://management.azure.com/providers/Microsoft.PolicyInsights/policyStates/$metadata#latest',
    '@odata.count': all.length,
    value: all.slice(skip, skip + size),
  };
  if (skip + size < all.length) {
    const next = new URL(ctx.url.pathname + ctx.url.search, ctx.baseUrl);
    next.searchParams.set('$skiptoken', String(skip + size));
    body['@odata.nextLink'] = next.toString();
  }
  return { status: 200, body };
}

const QUERY = path(
  '/subscriptions/{sub}/providers/Microsoft.PolicyInsights/policyStates/{resource}/queryResults',
);

export const policyInsightsRoutes: Route[] = [
  { kind: 'policyStates.query', method: 'POST', pattern: QUERY, handle: (ctx, core) => query(ctx, core) },
  { kind: 'policyStates.queryNext', method: 'GET', pattern: QUERY, handle: (ctx, core) => query(ctx, core) },
];
