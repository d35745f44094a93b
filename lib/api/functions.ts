import { appFromEnvironment } from '../app/app.js';
import type { FunctionDefinition } from '../host/registration.js';
import type { ApiDeps } from './deps.js';
import { API_ROUTES, type ApiRoute, type ApiRouteName, routeMethods, toHttpHandler } from './routes.js';

/**
 * The HTTP function definition functions/api*.ts register for one on-call API route: its name,
 * path and methods from the route table, function-key auth (anonymous for the public page), dependencies from the app settings.
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
    authLevel: route.public ? 'anonymous' : 'function',
    handler: toHttpHandler(route, getDeps),
  };
}
