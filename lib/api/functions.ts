import { appFromEnvironment } from '../app/app.js';
import type { FunctionDefinition } from '../host/registration.js';
import type { ApiDeps } from './deps.js';
import { API_ROUTES, type ApiRoute, type ApiRouteName, routeMethods, toHttpHandler } from './routes.js';

/**
 * The HTTP function definition functions/api*.ts register for one on-call API route: its name,
 * path and methods from the route table, dependencies from the app settings.
 *
 * authLevel 'anonymous': the caller is authenticated by App Service Authentication (Entra ID), not
 * by a function key — a key would have to travel in the page's URL. infra/ sets it to answer
 * unauthenticated /api/* calls with 401 (the page, excluded there, redirects to sign-in itself),
 * and every route still requires a principal with a role (auth.ts). Local mode's host stands in
 * for App Service Authentication: it requires the key or its sign-in cookie on every route.
 */
export function apiFunctionDefinition(
  name: ApiRouteName,
  getDeps: () => Promise<ApiDeps> = async () => (await appFromEnvironment()).api(),
): FunctionDefinition {
  const route: ApiRoute = API_ROUTES[name];
  return {
    kind: 'http',
    name: route.name,
    route: route.route,
    methods: routeMethods(route),
    authLevel: 'anonymous',
    handler: toHttpHandler(route, getDeps),
  };
}
