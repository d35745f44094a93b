/** ARM list paging shared by the providers' list routes. */
import type { ArmReply, RequestContext } from '../context.js';

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
