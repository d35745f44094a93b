/**
 * The sandbox's own control endpoints, on the same port as ARM (loopback only, unauthenticated):
 * what tests and the CLI use to seed, inspect and steer a sandbox started in another process.
 * Routes under /_sandbox/: GET resources, resource?id=, stats, events; POST stats/reset, reset,
 * seed; PUT faults, latency, throttle, webhook, dataplane/container-access. Each maps to one
 * method of the Sandbox handle.
 */
import { ArmError } from './arm.js';
import { type RequestHandler, readBody } from './http.js';
import type { Sandbox } from './sandbox.js';
import type { FaultSettings, Scenario, ThrottleSettings, WebhookSettings } from './types.js';

/** The path prefix the server hands to the admin API instead of the ARM pipeline. */
export const ADMIN_PREFIX = '/_sandbox/';

/** The handler for every path under /_sandbox/; a malformed body or failed call is a 400. */
export function adminApi(sandbox: Sandbox): RequestHandler {
  return async (req, res, url) => {
    const reply = (status: number, body?: unknown) => {
      const payload = body === undefined ? '' : JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(Buffer.byteLength(payload)),
      });
      res.end(payload);
    };
    try {
      const raw = await readBody(req);
      const body: unknown = raw.length > 0 ? JSON.parse(raw.toString('utf8')) : undefined;
      const route = `${req.method ?? 'GET'} ${url.pathname.replace(/\/$/, '')}`;
      switch (route) {
        case 'GET /_sandbox/resources':
          return reply(200, { value: sandbox.listResources() });
        case 'GET /_sandbox/resource': {
          const resource = sandbox.getResource(url.searchParams.get('id') ?? '');
          return resource
            ? reply(200, resource)
            : reply(404, { error: { code: 'NotFound', message: 'no such resource' } });
        }
        case 'GET /_sandbox/stats':
          return reply(200, sandbox.stats());
        case 'POST /_sandbox/stats/reset':
          sandbox.resetStats();
          return reply(204);
        case 'GET /_sandbox/events':
          return reply(200, { delivered: sandbox.events(), emitted: sandbox.emittedEvents() });
        case 'POST /_sandbox/reset':
          sandbox.reset();
          return reply(204);
        case 'POST /_sandbox/seed':
          sandbox.seed(body as Scenario);
          return reply(204);
        case 'PUT /_sandbox/faults':
          sandbox.setFaults(body as FaultSettings | undefined);
          return reply(204);
        case 'PUT /_sandbox/latency':
          sandbox.setLatency(Number((body as { ms?: unknown } | undefined)?.ms ?? 0));
          return reply(204);
        case 'PUT /_sandbox/throttle':
          sandbox.setThrottle((body ?? false) as ThrottleSettings | false);
          return reply(204);
        case 'PUT /_sandbox/dataplane/container-access': {
          const { id, publicAccess } = (body ?? {}) as { id?: unknown; publicAccess?: unknown };
          return reply(
            200,
            sandbox.setContainerAccessFromDataPlane(String(id ?? ''), String(publicAccess ?? '')),
          );
        }
        case 'PUT /_sandbox/webhook':
          await sandbox.setWebhook((body ?? null) as WebhookSettings | null);
          return reply(204);
        default:
          return reply(404, { error: { code: 'NotFound', message: `unknown admin route ${route}` } });
      }
    } catch (thrown) {
      if (thrown instanceof ArmError) return reply(thrown.status, thrown.body());
      reply(400, {
        error: { code: 'BadRequest', message: thrown instanceof Error ? thrown.message : String(thrown) },
      });
    }
  };
}
