/**
 * startSandbox(): a local HTTPS Azure Resource Manager for the real @azure/arm-storage and
 * @azure/arm-network clients. This module only assembles the parts and owns the server's life:
 * the ARM request pipeline (pipeline.ts) serves everything but /_sandbox/, which is the admin API
 * (admin.ts). Successful writes and deletes publish the Event Grid events Azure would send to
 * the configured webhook.
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { ADMIN_PREFIX, adminApi } from './admin.js';
import type { SandboxCore } from './context.js';
import { SANDBOX_TENANT_ID, sandboxCredential } from './credential.js';
import { setContainerAccessFromDataPlane } from './dataplane.js';
import { EventDelivery } from './delivery.js';
import { writeRecord } from './events.js';
import { FaultInjector } from './faults.js';
import { OperationTracker } from './lro.js';
import { armPipeline } from './pipeline.js';
import { Directory } from './providers/graph/directory.js';
import { graphPipeline } from './providers/graph/pipeline.js';
import { GRAPH_PREFIX } from './providers/graph/routes.js';
import { PolicyStateStore } from './providers/policyinsights/states.js';
import type { Sandbox } from './sandbox.js';
import { seedScenario } from './scenario.js';
import { ResourceStore } from './state.js';
import { RequestStats } from './stats.js';
import { Throttle } from './throttle.js';
import { loadOrCreateCertificate } from './tls.js';
import type { SandboxOptions, Scenario } from './types.js';

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const seedValue = options.seed ?? 1;
  const timeScale = options.timeScale ?? 1;
  const tenantId = options.tenantId ?? SANDBOX_TENANT_ID;
  const certificate = await loadOrCreateCertificate(options.certDir);
  const store = new ResourceStore();
  const directory = new Directory(tenantId);
  const policyStates = new PolicyStateStore();
  const operations = new OperationTracker(() => (options.lroDurationMs ?? 0) * timeScale);
  const delivery = new EventDelivery(timeScale, seedValue);
  const faults = new FaultInjector(options.faults, seedValue);
  const throttle = new Throttle(options.throttle ?? false);
  const stats = new RequestStats(delivery);
  let latencyMs = options.latencyMs ?? 0;
  let baseUrl = '';
  const agent = new https.Agent({ ca: certificate.cert, keepAlive: true });

  const core: SandboxCore = {
    store,
    policyStates,
    operations,
    pageSize: () => Math.max(1, options.pageSize ?? 100),
    eventsOnAccept: () => options.eventTiming === 'accept',
    recordChange(ctx, action, resourceType, resourceId, resource) {
      delivery.publish(writeRecord(ctx, { action, resourceType, resourceId, resource }, tenantId));
    },
  };

  /** ARM resources, the directory Graph serves and the policy states: one scenario seeds all three */
  const seed = (scenario: Scenario) => {
    seedScenario(store, scenario);
    if (scenario.directory) directory.seed(scenario.directory);
    if (scenario.policyStates) policyStates.seed(scenario.policyStates);
  };
  if (options.scenario) seed(options.scenario);

  const sandbox: Sandbox = {
    url: '',
    port: 0,
    caCertPath: certificate.certPath,
    caCertPem: certificate.cert,
    clientOptions: () => ({ endpoint: sandbox.url, agent }),
    credential: (claims) => sandboxCredential(claims, tenantId),
    graphUrl: '',
    seed,
    reset() {
      operations.clear();
      store.clear();
      directory.clear();
      policyStates.clear();
      delivery.clearLogs();
    },
    setContainerAccessFromDataPlane: (id, publicAccess) =>
      setContainerAccessFromDataPlane(store, id, publicAccess),
    getResource: (id) => store.lookup(id),
    listResources: () => store.all(),
    stats: () => stats.snapshot(),
    requestLog: () => stats.requestLog(),
    resetStats: () => stats.reset(),
    setFaults: (settings) => faults.configure(settings, seedValue),
    setLatency(ms) {
      latencyMs = Math.max(0, ms);
    },
    setThrottle: (settings) => throttle.configure(settings),
    setWebhook: (webhook) => delivery.setWebhook(webhook),
    events: () => [...delivery.delivered],
    emittedEvents: () => [...delivery.emitted],
    deadLetteredEvents: () => [...delivery.deadLettered],
    waitForEventsIdle: () => delivery.waitForIdle(),
    async stop() {
      delivery.stop();
      operations.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      agent.destroy();
    },
  };

  const arm = armPipeline({
    core,
    stats,
    throttle,
    faults,
    latencyMs: () => latencyMs,
    baseUrl: () => baseUrl,
  });
  const graph = graphPipeline({
    directory,
    stats,
    throttle,
    faults,
    latencyMs: () => latencyMs,
    baseUrl: () => baseUrl,
    pageSize: () => Math.max(1, options.graphPageSize ?? 100),
  });
  const admin = adminApi(sandbox);
  const server = https.createServer(
    { key: certificate.key, cert: certificate.cert, keepAliveTimeout: 30_000 },
    (req, res) => {
      const url = new URL(req.url ?? '/', baseUrl);
      const handled = url.pathname.startsWith(ADMIN_PREFIX)
        ? admin(req, res, url)
        : url.pathname.startsWith(`${GRAPH_PREFIX}/`)
          ? graph(req, res, url)
          : arm(req, res, url);
      handled.catch(() => res.destroy());
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `https://127.0.0.1:${port}`;
  sandbox.url = baseUrl;
  sandbox.graphUrl = `${baseUrl}${GRAPH_PREFIX}`;
  sandbox.port = port;
  if (options.webhook) {
    try {
      await sandbox.setWebhook(options.webhook);
    } catch (error) {
      await sandbox.stop();
      throw error;
    }
  }
  return sandbox;
}
