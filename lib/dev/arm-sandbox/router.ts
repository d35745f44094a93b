/**
 * The routing table: every resource provider's routes, and the match of a request against them
 * (404 for a path no provider serves, 405 for a known path with another method).
 * A new provider is a folder under providers/ plus one entry here.
 */
import { ArmError } from './arm.js';
import type { Route } from './context.js';
import { keyVaultRoutes } from './providers/keyvault/routes.js';
import { monitorRoutes } from './providers/monitor/routes.js';
import { networkRoutes } from './providers/network/routes.js';
import { policyInsightsRoutes } from './providers/policyinsights/routes.js';
import { storageRoutes } from './providers/storage/routes.js';

const ROUTES: Route[] = [
  ...storageRoutes,
  ...networkRoutes,
  ...monitorRoutes,
  ...keyVaultRoutes,
  ...policyInsightsRoutes,
];

export interface RouteMatch {
  route: Route;
  /** decoded path parameters */
  params: string[];
}

/** The first route serving this method and path; throws the ARM 404/405 otherwise. */
export function matchRoute(method: string, pathname: string): RouteMatch {
  let pathKnown = false;
  for (const route of ROUTES) {
    const match = route.pattern.exec(pathname);
    if (!match) continue;
    pathKnown = true;
    if (route.method === method) {
      return { route, params: match.slice(1).map((part) => decodeURIComponent(part)) };
    }
  }
  if (pathKnown)
    throw new ArmError(
      405,
      'HttpMethodNotSupported',
      `The requested resource does not support http method '${method}'.`,
    );
  throw new ArmError(404, 'NotFound', `The ARM sandbox does not serve '${pathname}'.`);
}
