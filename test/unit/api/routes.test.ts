import { describe, expect, it } from 'vitest';
import { API_ROUTES } from '../../../lib/api/routes.js';

describe('functions/index.ts registers every on-call API route', () => {
  it('one HTTP function per route (a route without its functions/ file would never be served)', async () => {
    await import('../../../functions/index.js');
    const { registeredFunctions } = await import('../../../lib/host/registration.js');
    const http = registeredFunctions().filter((definition) => definition.kind === 'http');
    expect(http.map((definition) => definition.name).sort()).toEqual(
      Object.values(API_ROUTES)
        .map((route) => route.name)
        .sort(),
    );
    // App Service Authentication authenticates the API (no key in any URL): see lib/api/functions.ts
    expect(
      http.every((definition) => definition.kind === 'http' && definition.authLevel === 'anonymous'),
    ).toBe(true);
  });
});
