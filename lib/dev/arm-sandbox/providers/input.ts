/** What a resource-provider handler reads from its request: path parameters, precondition headers, the body as resource input. */
import { ArmError, clone, isRecord } from '../arm.js';
import type { RequestContext } from '../context.js';

/** The fields of a PUT/PATCH body (or a scenario entry) the shape builders look at. */
export interface ResourceInput {
  location?: unknown;
  tags?: unknown;
  sku?: unknown;
  kind?: unknown;
  properties?: unknown;
}

/** The first four captured path parameters ('' where the route has fewer). */
export function routeParams(ctx: RequestContext): [string, string, string, string] {
  const [p0 = '', p1 = '', p2 = '', p3 = ''] = ctx.params;
  return [p0, p1, p2, p3];
}

/** The request body as a resource input: none is `{}`; anything but a JSON object is a 400 `code`. */
export function resourceInput(ctx: RequestContext, code: string, message: string): ResourceInput {
  const body = ctx.body;
  if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) {
    throw new ArmError(400, code, message);
  }
  return (body ?? {}) as ResourceInput;
}

/** Tags as ARM stores them (string values), or undefined when the input has none. */
export function tagsOf(value: unknown): Record<string, string> | undefined {
  if (!isRecord(value)) return undefined;
  const tags: Record<string, string> = {};
  for (const [key, tag] of Object.entries(value)) tags[key] = String(tag);
  return tags;
}

/** A copy of the input's `properties` (`{}` when absent or not an object). */
export function propsOf(input: ResourceInput): Record<string, unknown> {
  return isRecord(input.properties) ? clone(input.properties) : {};
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

/** The body as resource input, with the 400 Storage, Key Vault and Monitor send for a non-object body. */
export function requestContent(ctx: RequestContext): ResourceInput {
  return resourceInput(
    ctx,
    'InvalidRequestContent',
    'The request content was invalid and could not be deserialized.',
  );
}
