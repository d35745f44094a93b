import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { toError } from '../util/errors.js';
import { ANONYMOUS, authorize, type Principal, ROLES, type Role } from './auth.js';
import { listControls } from './controls.js';
import type { ApiDeps } from './deps.js';
import {
  approveException,
  createException,
  getException,
  listExceptions,
  revokeException,
} from './exceptions.js';
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

/**
 * One HTTP function: name (stable: it is the Function name in Azure), route under /api/, role, handler per method.
 * `public` routes need neither the function key nor a principal: only the page, which holds no data
 * (every call it makes is authorised), so that opened without credentials it can say so readably.
 */
export interface ApiRoute {
  name: string;
  route: string;
  public?: boolean;
  role: Partial<Record<Method, Role | 'public'>>;
  handlers: Partial<Record<Method, ApiHandler>>;
  /**
   * A browser page: an unauthenticated request is redirected to App Service Authentication's
   * sign-in (which returns here) instead of answered 401.
   */
  signIn?: true;
}

/** App Service Authentication's Entra ID sign-in, returning to the page afterwards. */
export const SIGN_IN_URL = '/.auth/login/aad?post_login_redirect_uri=/api/ui';

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
  apiExceptionApprove: {
    name: 'apiExceptionApprove',
    route: 'exceptions/{id}/approve',
    role: { POST: approver },
    handlers: { POST: approveException },
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
  apiUi: { name: 'apiUi', route: 'ui', role: { GET: reader }, handlers: { GET: servePage }, signIn: true },
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
      if (role === 'public') return await handler(request, await getDeps(), ANONYMOUS);
      const deps = await getDeps();
      let principal: Principal;
      try {
        principal = authorize(request.headers, role, deps.devPrincipal);
      } catch (refused) {
        if ('signIn' in route && route.signIn && refused instanceof ApiError && refused.status === 401)
          return { status: 302, headers: { location: SIGN_IN_URL, 'cache-control': 'no-store' } };
        throw refused;
      }
      return await handler(request, deps, principal);
    } catch (thrown) {
      if (thrown instanceof ApiError) return errorResponse(thrown);
      context.error(`${route.name} failed: ${toError(thrown).stack ?? toError(thrown).message}`);
      return errorResponse(INTERNAL_ERROR);
    }
  };
}
