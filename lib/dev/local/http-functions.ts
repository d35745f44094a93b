import type { IncomingMessage, ServerResponse } from 'node:http';
import { toError } from '../../util/errors.js';
import { hasValidKey } from './function-keys.js';
import type { HttpFunction } from './functions.js';
import { readBodyWithin, toHttpRequest, toHttpResponse, writeHttpResponse } from './http-bridge.js';
import type { Invoker } from './invoker.js';
import { sendStatus } from './replies.js';
import { byPrecedence, type CompiledRoute, compileRoute } from './routes.js';
import type { LocalSignIn } from './signin.js';

/**
 * HTTP functions under `/api/<route>`: route templates tried most specific first, the method list
 * as a route constraint, authLevel 'function' → the key is required (Core Tools skips that check).
 */
export interface HttpFunctionsOptions {
  definitions: readonly HttpFunction[];
  invoker: Invoker;
  functionKey: string;
  maxBodyBytes: number;
  log: (line: string) => void;
  /**
   * Local mode's App Service Authentication stand-in: when set, every HTTP function (also
   * authLevel 'anonymous' ones, which in Azure sit behind App Service Authentication) needs the
   * key or a session cookie from a one-time sign-in URL.
   */
  signIn?: LocalSignIn;
}

export interface HttpFunctions {
  readonly routes: ReadonlyArray<{ definition: HttpFunction; route: CompiledRoute }>;
  /** `path` is the part after `/api`. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL, path: string): Promise<void>;
}

/** Compiles every route template now (a bad one throws before the host opens its port). */
export function httpFunctions(options: HttpFunctionsOptions): HttpFunctions {
  const { invoker, functionKey, maxBodyBytes, log } = options;
  const routes = options.definitions
    .map((definition) => ({ definition, route: compileRoute(definition.route) }))
    .sort((a, b) => byPrecedence(a.route, b.route));

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL, path: string): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    let matched: { definition: HttpFunction; params: Record<string, string> } | null = null;
    for (const { definition, route } of routes) {
      const params = route.match(path);
      // The runtime treats the method list as a route constraint: a method mismatch is a 404.
      if (params && (definition.methods as string[]).includes(method === 'HEAD' ? 'GET' : method)) {
        matched = { definition, params };
        break;
      }
    }
    if (!matched) return sendStatus(res, 404, 'Not Found');
    const { definition, params } = matched;
    const signedIn = hasValidKey(req, url, functionKey) || (options.signIn?.hasSession(req) ?? false);
    if ((definition.authLevel === 'function' || options.signIn) && !signedIn) {
      return sendStatus(res, 401, 'Unauthorized');
    }
    const body = await readBodyWithin(req, res, maxBodyBytes);
    if (!body) return;
    const request = toHttpRequest(req, url, params, body);
    const result = await invoker.invoke(definition.name, 'http', async (context) => {
      // Convert inside the invocation: a response the worker could not convert fails the invocation.
      return toHttpResponse(await definition.handler(request, context));
    });
    if (!result.ok) return sendStatus(res, 500, 'Internal Server Error');
    try {
      await writeHttpResponse(res, result.value, method);
    } catch (thrown) {
      log(`[${definition.name}] writing the response failed: ${toError(thrown).message}`);
      res.destroy();
    }
  }

  return { routes, handle };
}
