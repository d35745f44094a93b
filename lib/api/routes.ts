import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { toError } from '../util/errors.js';
import { authorize, type Principal, ROLES, type Role } from './auth.js';
import { listControls } from './controls.js';
import type { ApiDeps } from './deps.js';
import { createException, getException, listExceptions, revokeException } from './exceptions.js';
import { ApiError, errorResponse, INTERNAL_ERROR } from './http.js';
import { getRemediation, listRemediations, restoreRemediation } from './remediations.js';
import { getReportFile, listReports } from './reports.js';
import { servePage } from './ui/serve-page.js';

type Method = 'GET' | 'POST' | 'DELETE';
export type ApiHandler = (
  request: HttpRequest,
  deps: ApiDeps,
  principal: Principal,
) => Promise<HttpResponseInit>;

/** One HTTP function: name (stable: it is the Function name in Azure), route under /api/, role, handler per method. */
export interface ApiRoute {
  name: string;
  route: string;
  role: Partial<Record<Method, Role>>;
  handlers: Partial<Record<Method, ApiHandler>>;
}

const { reader, approver } = ROLES;

/** The on-call API. functions/api*.ts register these; tests and local mode serve the same table. */
export const API_ROUTES = {
  apiRemediations: {
    name: 'apiRemediations',
    route: 'remediations',
    role: { GET: reader },
    handlers: { GET: listRemediations },
  },
  apiRemediation: {
    name: 'apiRemediation',
    route: 'remediations/{id}',
    role: { GET: reader },
    handlers: { GET: getRemediation },
  },
  apiRemediationRestore: {
    name: 'apiRemediationRestore',
    route: 'remediations/{id}/restore',
    role: { POST: approver },
    handlers: { POST: restoreRemediation },
  },
  apiControls: {
    name: 'apiControls',
    route: 'controls',
    role: { GET: reader },
    handlers: { GET: listControls },
  },
  apiExceptions: {
    name: 'apiExceptions',
    route: 'exceptions',
    role: { GET: reader, POST: approver },
    handlers: { GET: listExceptions, POST: createException },
  },
  apiException: {
    name: 'apiException',
    route: 'exceptions/{id}',
    role: { GET: reader, DELETE: approver },
    handlers: { GET: getException, DELETE: revokeException },
  },
  apiReports: {
    name: 'apiReports',
    route: 'reports',
    role: { GET: reader },
    handlers: { GET: listReports },
  },
  apiReportFile: {
    name: 'apiReportFile',
    route: 'reports/{id}/{file}',
    role: { GET: reader },
    handlers: { GET: getReportFile },
  },
  apiUi: { name: 'apiUi', route: 'ui', role: { GET: reader }, handlers: { GET: servePage } },
} as const satisfies Record<string, ApiRoute>;

export type ApiRouteName = keyof typeof API_ROUTES;

export function routeMethods(route: ApiRoute): Method[] {
  return Object.keys(route.handlers) as Method[];
}

/**
 * Adapts a route to the Functions handler signature: resolves dependencies (lazily, so a bad
 * setting fails the request rather than the host start), authorises, runs the handler, and
 * turns every failure into a body that leaks nothing (details go to the invocation log).
 */
export function toHttpHandler(
  route: ApiRoute,
  getDeps: () => Promise<ApiDeps>,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return async (request, context) => {
    try {
      const method = request.method.toUpperCase() as Method;
      const handler = route.handlers[method];
      const role = route.role[method];
      if (!handler || !role) throw new ApiError(405, 'MethodNotAllowed', 'Method not allowed.');
      const deps = await getDeps();
      const principal = authorize(request.headers, role, deps.devPrincipal);
      return await handler(request, deps, principal);
    } catch (thrown) {
      if (thrown instanceof ApiError) return errorResponse(thrown);
      context.error(`${route.name} failed: ${toError(thrown).stack ?? toError(thrown).message}`);
      return errorResponse(INTERNAL_ERROR);
    }
  };
}
