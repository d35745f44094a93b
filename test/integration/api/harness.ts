import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpResponseInit } from '@azure/functions';
import azureFunctions from '@azure/functions';
import { devObjectIdFor } from '../../../lib/api/auth.js';
import type { ApiDeps } from '../../../lib/api/deps.js';
import { API_ROUTES, type ApiRoute, toHttpHandler } from '../../../lib/api/routes.js';

const { HttpRequest, InvocationContext } = azureFunctions;

export interface ApiServer {
  baseUrl: string;
  functionKey: string;
  close(): Promise<void>;
}

/** Matches a Functions route template with `{name}` segments; null when it does not apply. */
function matchRoute(template: string, pathname: string): Record<string, string> | null {
  const want = template.split('/');
  const got = pathname.split('/');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (const [index, segment] of want.entries()) {
    const part = got[index] ?? '';
    const param = /^\{(\w+)\}$/.exec(segment);
    if (param?.[1]) params[param[1]] = decodeURIComponent(part);
    else if (segment.toLowerCase() !== part.toLowerCase()) return null;
  }
  return params;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function send(response: ServerResponse, init: HttpResponseInit): void {
  const headers = new Headers(init.headers as Record<string, string> | undefined);
  let body: string | Buffer = '';
  if (init.jsonBody !== undefined) body = JSON.stringify(init.jsonBody);
  else if (typeof init.body === 'string') body = init.body;
  response.writeHead(init.status ?? 200, Object.fromEntries(headers.entries()));
  response.end(body);
}

/**
 * A tiny stand-in for the Functions host, for tests and the bench: serves the on-call API routes
 * on 127.0.0.1 (free port) through the very handlers functions/api*.ts register, with real
 * @azure/functions HttpRequest objects, and checks the function key the way the host does
 * (`x-functions-key` header or `code` query; 401 with an empty body otherwise; public routes
 * — the page — are anonymous, as their Function's authLevel).
 */
export async function startApiServer(deps: ApiDeps, functionKey = 'test-function-key'): Promise<ApiServer> {
  const routes = Object.values(API_ROUTES).map((route: ApiRoute) => ({
    route,
    handler: toHttpHandler(route, async () => deps),
  }));
  const server = createServer((incoming, response) => {
    void (async () => {
      const url = new URL(incoming.url ?? '/', `http://${incoming.headers.host ?? '127.0.0.1'}`);
      if (!url.pathname.startsWith('/api/')) return send(response, { status: 404 });
      const path = url.pathname.slice('/api/'.length).replace(/\/+$/, '');
      const key = incoming.headers['x-functions-key'] ?? url.searchParams.get('code');
      const hit = routes
        .map((candidate) => ({ ...candidate, params: matchRoute(candidate.route.route, path) }))
        .find((candidate) => candidate.params !== null);
      if (!hit?.params) return send(response, { status: 404 });
      const params = hit.params;
      // the page is excluded from the platform's check, as infra's excludedPaths does: it redirects itself
      const excluded = hit.route.public || ('signIn' in hit.route && hit.route.signIn);
      if (key !== functionKey && !excluded) return send(response, { status: 401 });
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(incoming.headers)) {
        if (typeof value === 'string') headers[name] = value;
        else if (Array.isArray(value)) headers[name] = value.join(', ');
      }
      const body = await readBody(incoming);
      const request = new HttpRequest({
        method: incoming.method ?? 'GET',
        url: url.toString(),
        headers,
        params,
        body: body.length ? { bytes: body } : undefined,
      });
      const context = new InvocationContext({ functionName: hit.route.name });
      send(response, await hit.handler(request, context));
    })().catch((error: unknown) => {
      send(response, { status: 500, body: String(error) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    functionKey,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/**
 * The header App Service Authentication (Entra ID) would inject for this user and roles: the
 * object id claim (by default the id local mode gives the name, so it matches `sandbox drift --as`)
 * and the name and role claims.
 */
export function principalHeader(name: string, roles: string[], objectId = devObjectIdFor(name)): string {
  const claims = [
    { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: objectId },
    { typ: 'name', val: name },
    ...roles.map((role) => ({ typ: 'roles', val: role })),
  ];
  return Buffer.from(
    JSON.stringify({
      auth_typ: 'aad',
      name_typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
      role_typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
      claims,
    }),
  ).toString('base64');
}

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response fields; the assertions check the shapes
type Json = any;

export interface CallOptions {
  principal?: string;
  /** x-ms-client-principal-idp, sent with a principal as App Service does (null: leave it out) */
  idp?: string | null;
  /** content-type of a body (default application/json) */
  contentType?: string;
  body?: unknown;
  rawBody?: string;
  key?: string | null;
}

/** Calls the server like a client would; returns the status and the parsed JSON body (or null). */
export async function call(
  server: ApiServer,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<{ status: number; body: Json }> {
  const headers: Record<string, string> = {};
  if (options.principal) {
    headers['x-ms-client-principal'] = options.principal;
    const idp = options.idp === undefined ? 'aad' : options.idp;
    if (idp) headers['x-ms-client-principal-idp'] = idp;
  }
  const key = options.key === undefined ? server.functionKey : options.key;
  if (key) headers['x-functions-key'] = key;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  const response = await fetch(`${server.baseUrl}/api/${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  return { status: response.status, body: parsed as Json };
}
