/**
 * Functions HTTP route templates (ASP.NET routing syntax, the subset the host supports):
 * literal segments (case-insensitive), `{name}`, optional `{name?}`, constrained `{name:int}`
 * (`int`, `long`, `guid`, `alpha`, `bool`; others are accepted and not checked), catch-all `{*rest}`.
 * Matching returns the route parameters, URL-decoded.
 */

type Segment =
  | { kind: 'literal'; text: string }
  | { kind: 'param'; name: string; optional: boolean; constraint: string | null }
  | { kind: 'catchAll'; name: string };

export interface CompiledRoute {
  readonly template: string;
  match(pathname: string): Record<string, string> | null;
  /** Lower sorts first: literal segments beat parameters beat catch-alls (ASP.NET precedence). */
  readonly precedence: readonly number[];
}

export class RouteTemplateError extends Error {
  constructor(template: string, reason: string) {
    super(`Invalid route template "${template}": ${reason}`);
    this.name = 'RouteTemplateError';
  }
}

const CONSTRAINTS: Record<string, RegExp> = {
  int: /^-?[0-9]+$/,
  long: /^-?[0-9]+$/,
  guid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  alpha: /^[a-z]+$/i,
  bool: /^(true|false)$/i,
};

function parseSegment(text: string, template: string, isLast: boolean): Segment {
  const param = /^\{(\*?)([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z]+)(?:\([^)]*\))?)?(\?)?\}$/.exec(text);
  if (!param) {
    if (/[{}]/.test(text)) throw new RouteTemplateError(template, `segment "${text}" is not supported`);
    return { kind: 'literal', text: text.toLowerCase() };
  }
  const [, star, name = '', constraint, optional] = param;
  if (star) {
    if (!isLast) throw new RouteTemplateError(template, 'a catch-all parameter must be the last segment');
    return { kind: 'catchAll', name };
  }
  return { kind: 'param', name, optional: optional === '?', constraint: constraint?.toLowerCase() ?? null };
}

function decode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

export function compileRoute(template: string): CompiledRoute {
  const texts = template
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .filter(Boolean);
  const segments = texts.map((text, index) => parseSegment(text, template, index === texts.length - 1));
  segments.forEach((segment, index) => {
    const laterRequired = segments
      .slice(index + 1)
      .some((later) => later.kind === 'literal' || (later.kind === 'param' && !later.optional));
    if (segment.kind === 'param' && segment.optional && laterRequired) {
      throw new RouteTemplateError(template, `optional parameter {${segment.name}?} must be at the end`);
    }
  });

  const precedence = segments.map((segment) => {
    if (segment.kind === 'literal') return 0;
    if (segment.kind === 'catchAll') return 4;
    if (segment.optional) return 3;
    return segment.constraint ? 1 : 2;
  });

  function match(pathname: string): Record<string, string> | null {
    const parts = pathname
      .replace(/^\/+|\/+$/g, '')
      .split('/')
      .filter(Boolean);
    const params: Record<string, string> = {};
    for (let index = 0; index < segments.length; index++) {
      const segment = segments[index] as Segment;
      if (segment.kind === 'catchAll') {
        const rest = parts.slice(index).map(decode);
        if (rest.some((part) => part === null)) return null;
        if (rest.length) params[segment.name] = rest.join('/');
        return params;
      }
      const part = parts[index];
      if (part === undefined) {
        if (segment.kind === 'param' && segment.optional) continue;
        return null;
      }
      const value = decode(part);
      if (value === null) return null;
      if (segment.kind === 'literal') {
        if (value.toLowerCase() !== segment.text) return null;
        continue;
      }
      const check = segment.constraint ? CONSTRAINTS[segment.constraint] : undefined;
      if (check && !check.test(value)) return null;
      params[segment.name] = value;
    }
    return parts.length <= segments.length ? params : null;
  }

  return { template, match, precedence };
}

/** Sorts routes so that the most specific template is tried first. */
export function byPrecedence(a: CompiledRoute, b: CompiledRoute): number {
  const length = Math.max(a.precedence.length, b.precedence.length);
  for (let index = 0; index < length; index++) {
    const left = a.precedence[index] ?? -1; // shorter template: fewer segments ranks first on ties
    const right = b.precedence[index] ?? -1;
    if (left !== right) return left - right;
  }
  return 0;
}
