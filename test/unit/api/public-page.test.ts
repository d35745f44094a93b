import { describe, expect, it } from 'vitest';
import { apiFunctionDefinition } from '../../../lib/api/functions.js';
import { API_ROUTES, type ApiRouteName } from '../../../lib/api/routes.js';

/**
 * Issue 13 item 8 (which superseded issue 16's function-key page): no key travels in a URL, so every
 * route is `authLevel: anonymous` at the Functions layer; App Service Authentication answers 401
 * for /api/* and every route still requires a principal with a role (auth.ts, auth-matrix test).
 */
describe('which routes need the function key', () => {
  it('none: App Service Authentication authenticates, the routes authorize', () => {
    const levels = new Set(
      (Object.keys(API_ROUTES) as ApiRouteName[]).map((name) => {
        const definition = apiFunctionDefinition(name, async () => {
          throw new Error('not resolved at registration');
        });
        return definition.kind === 'http' ? definition.authLevel : definition.kind;
      }),
    );
    expect([...levels]).toEqual(['anonymous']);
  });
});
