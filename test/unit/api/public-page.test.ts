import { describe, expect, it } from 'vitest';
import { apiFunctionDefinition } from '../../../lib/api/functions.js';
import { API_ROUTES, type ApiRouteName } from '../../../lib/api/routes.js';

describe('which routes need the function key (issue 16 item 4: no raw 401 for the page)', () => {
  it('only the page is anonymous: it holds no data, every API route keeps authLevel function', () => {
    const levels = Object.fromEntries(
      (Object.keys(API_ROUTES) as ApiRouteName[]).map((name) => {
        const definition = apiFunctionDefinition(name, async () => {
          throw new Error('not resolved at registration');
        });
        return [name, definition.kind === 'http' ? definition.authLevel : definition.kind];
      }),
    );
    expect(levels).toEqual({
      apiRemediations: 'function',
      apiRemediation: 'function',
      apiRemediationRestore: 'function',
      apiControls: 'function',
      apiExceptions: 'function',
      apiException: 'function',
      apiUi: 'anonymous',
    });
  });
});
