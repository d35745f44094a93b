/**
 * Integration harness for the automatic-response path: the ARM sandbox (real SDK clients over
 * HTTPS), Azurite (real TableEvidenceStore, unique tables per test), and a webhook on 127.0.0.1
 * that speaks the Event Grid / CloudEvents handshakes and calls handleResourceChange.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, createServer as createTcpServer, type Socket } from 'node:net';
import { NetworkManagementClient } from '@azure/arm-network';
import { StorageManagementClient } from '@azure/arm-storage';
import { type AppOverrides, createApp, type Dependencies, remediatorVersion } from '../../../lib/app/app.js';
import { loadConfig } from '../../../lib/config.js';
import { type Sandbox, type Scenario, startSandbox } from '../../../lib/dev/arm-sandbox/index.js';
import { type HandleResult, handleResourceChange, RecentEvents } from '../../../lib/events/handle.js';
import { type CreateEvidenceStoreOptions, createEvidenceStore } from '../../../lib/evidence/table-store.js';
import type { EvidenceRecord } from '../../../lib/evidence/types.js';
import { RemediationEngine } from '../../../lib/remediation/engine.js';
import type { ResourceGateway } from '../../../lib/remediation/types.js';

export const SUB = '3c9f2b1e-5d4a-4e8b-9a7c-2f1e0d3c4b5a';
export const RG = `/subscriptions/${SUB}/resourceGroups/rg-portal`;
export const ACCOUNT = `${RG}/providers/Microsoft.Storage/storageAccounts/phiportal01`;
export const ACCOUNT2 = `${RG}/providers/Microsoft.Storage/storageAccounts/scheduling02`;
export const CONTAINER = `${ACCOUNT}/blobServices/default/containers/scans`;
export const NSG = `${RG}/providers/Microsoft.Network/networkSecurityGroups/nsg-web`;
export const WORKSPACE = `/subscriptions/${SUB}/resourceGroups/rg-monitoring/providers/Microsoft.OperationalInsights/workspaces/law-audit`;

/** A diagnostic setting sending `scope`'s audit logs (category group) to the audit workspace. */
export function auditSetting(scope: string, group: 'audit' | 'allLogs' = 'audit') {
  return {
    id: `${scope}/providers/Microsoft.Insights/diagnosticSettings/to-law-audit`,
    properties: { workspaceId: WORKSPACE, logs: [{ categoryGroup: group, enabled: true }] },
  };
}

export const ALICE = {
  upn: 'alice@contoso.example',
  oid: 'a11ce000-0000-4000-8000-000000000001',
  appid: '04b07795-8ddb-461a-bbee-02f9e1bf7b46',
};
export const BOB = {
  upn: 'bob@contoso.example',
  oid: 'b0b00000-0000-4000-8000-000000000002',
  appid: '04b07795-8ddb-461a-bbee-02f9e1bf7b46',
};
/** driftwarden's managed identity (a service principal: no upn) */
export const SELF = {
  oid: 'd71f7000-0000-4000-8000-00000000d00d',
  appid: 'd71f7000-aaaa-4000-8000-00000000a99d',
};

export const compliantAccount = {
  kind: 'StorageV2',
  sku: { name: 'Standard_LRS' },
  location: 'westeurope',
  properties: { allowBlobPublicAccess: false, supportsHttpsTrafficOnly: true, minimumTlsVersion: 'TLS1_2' },
};

export function baseScenario(): Scenario {
  return {
    resources: [
      {
        id: ACCOUNT,
        ...compliantAccount,
        tags: { 'data-classification': 'phi' },
        // PHI: customer-managed key, no public network access (the two audit-mode controls hold)
        properties: {
          ...compliantAccount.properties,
          encryption: {
            keySource: 'Microsoft.Keyvault',
            keyvaultproperties: { keyname: 'phi', keyvaulturi: 'https://kv.vault.azure.net/' },
          },
          publicNetworkAccess: 'Disabled',
          networkAcls: {
            defaultAction: 'Deny',
            bypass: 'AzureServices',
            ipRules: [],
            virtualNetworkRules: [],
          },
        },
      },
      { id: ACCOUNT2, ...compliantAccount },
      { id: CONTAINER, properties: { publicAccess: 'None' } },
      // the audit workspace (12 months) and the diagnostic settings that keep DIAG-RESOURCE-LOGS compliant
      { id: WORKSPACE, location: 'westeurope', properties: { retentionInDays: 365 } },
      auditSetting(`${ACCOUNT}/blobServices/default`),
      auditSetting(`${ACCOUNT2}/blobServices/default`),
      auditSetting(NSG, 'allLogs'),
      {
        id: NSG,
        location: 'westeurope',
        properties: {
          securityRules: [
            {
              name: 'allow-https-vnet',
              properties: {
                protocol: 'Tcp',
                sourceAddressPrefix: 'VirtualNetwork',
                sourcePortRange: '*',
                destinationAddressPrefix: '*',
                destinationPortRange: '443',
                access: 'Allow',
                priority: 200,
                direction: 'Inbound',
              },
            },
          ],
        },
      },
    ],
  };
}

export function clientsFor(sandbox: Sandbox, claims: Record<string, string>) {
  const credential = sandbox.credential(claims);
  return {
    storage: new StorageManagementClient(credential, SUB, { ...sandbox.clientOptions() }),
    network: new NetworkManagementClient(credential, SUB, { ...sandbox.clientOptions() }),
  };
}

/** The properties of NSG's security rule `name` as the sandbox holds it now (throws when it has none). */
export function nsgRule(sandbox: Sandbox, name: string): Record<string, unknown> {
  const rules = (sandbox.getResource(NSG)?.properties.securityRules ?? []) as Array<{
    name: string;
    properties: Record<string, unknown>;
  }>;
  const found = rules.find((r) => r.name === name);
  if (!found) throw new Error(`rule ${name} not in the sandbox`);
  return found.properties;
}

/**
 * A storage account PATCH body for @azure/arm-storage 20.0.0, whose serialiser drops `properties`
 * unless a PascalCase marker key is present (see lib/azure/resources.ts); the marker is not sent.
 */
export function storagePatch<T extends Record<string, unknown>>(patch: T): T {
  return { ...patch, AllowBlobPublicAccess: null };
}

/** Retries an SDK call that a fault injection may refuse (the test's own drift, not the system under test). */
export async function persist<T>(call: () => Promise<T>, attempts = 20): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await call();
    } catch (error) {
      if (i >= attempts) throw error;
      await sleep(50);
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

export function uniqueTable(prefix: string): string {
  return `${prefix}${randomUUID().replace(/-/g, '').slice(0, 16)}`;
}

export interface Harness {
  deps: Dependencies;
  logs: string[];
  results: HandleResult[];
  errors: Error[];
  /** calls the use case as the function does (no per-process duplicate memory: exercise the real dedupe) */
  handle(event: unknown): Promise<HandleResult>;
  records(): Promise<EvidenceRecord[]>;
}

export interface HarnessOptions {
  connectionString: string;
  env?: Record<string, string>;
  overrides?: AppOverrides;
  /** wrap the ARM gateway (e.g. to let a concurrent edit happen between our read and our write) */
  gateway?: (base: ResourceGateway) => ResourceGateway;
}

export async function createHarness(sandbox: Sandbox, options: HarnessOptions): Promise<Harness> {
  const logs: string[] = [];
  const results: HandleResult[] = [];
  const errors: Error[] = [];
  const config = loadConfig({
    DW_STORAGE: options.connectionString,
    DW_EVIDENCE_TABLE: uniqueTable('ev'),
    DW_EXCEPTIONS_TABLE: uniqueTable('ex'),
    DW_SELF_OBJECT_ID: SELF.oid,
    DW_SELF_APP_ID: SELF.appid,
    DW_ARM_ENDPOINT: sandbox.url,
    DW_SUBSCRIPTION_IDS: SUB,
    ...options.env,
  });
  const deps = await createApp(config, {
    armConnection: {
      credential: sandbox.credential(SELF),
      endpoint: sandbox.url,
      clientOptions: { ...sandbox.clientOptions() },
    },
    log: (line) => logs.push(line),
    armPollIntervalMs: 10,
    ...options.overrides,
  }).eventPath();
  const recent = new RecentEvents(0);
  const engine = options.gateway
    ? new RemediationEngine({
        gateway: options.gateway(deps.gateway),
        evidence: deps.evidence,
        exceptions: deps.exceptions,
        intents: deps.intents,
        settings: deps.settings,
        modes: deps.modes,
        clock: deps.clock,
        log: deps.log,
      })
    : deps.engine;
  return {
    deps,
    logs,
    results,
    errors,
    async handle(event) {
      try {
        const result = await handleResourceChange(event, {
          ...deps.handlerDeps((line) => logs.push(line)),
          engine,
          recent,
        });
        results.push(result);
        return result;
      } catch (error) {
        errors.push(error as Error);
        throw error;
      }
    },
    async records() {
      const page = await deps.evidence.query({ limit: 500 });
      return page.items;
    },
  };
}

/** A webhook on 127.0.0.1 that answers the handshakes and hands each event to `handle` (500 when it throws). */
export async function startWebhook(
  handle: (event: unknown) => Promise<unknown>,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.method === 'OPTIONS') {
      res.writeHead(200, { 'WebHook-Allowed-Origin': String(req.headers['webhook-request-origin'] ?? '*') });
      res.end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      try {
        const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        const events = Array.isArray(body) ? body : [body];
        const first = events[0] as { eventType?: unknown; data?: { validationCode?: unknown } } | undefined;
        if (
          req.headers['aeg-event-type'] === 'SubscriptionValidation' ||
          first?.eventType === 'Microsoft.EventGrid.SubscriptionValidationEvent'
        ) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ validationResponse: first?.data?.validationCode }));
          return;
        }
        for (const event of events) await handle(event);
        res.writeHead(200);
        res.end();
      } catch {
        res.writeHead(500);
        res.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/runtime/webhooks/eventgrid?functionName=onResourceChange`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type Webhook = Awaited<ReturnType<typeof startWebhook>>;

/**
 * The per-file setup of the event-path tests: an ARM sandbox and a webhook that hands each
 * delivered event to the current harness (none: 500, so the sandbox redelivers). `stop`
 * detaches the webhook and stops both.
 */
export async function startSandboxWithWebhook(
  current: () => Harness | null,
): Promise<{ sandbox: Sandbox; webhook: Webhook; stop(): Promise<void> }> {
  const sandbox = await startSandbox();
  const webhook = await startWebhook((event) => {
    const harness = current();
    if (!harness) throw new Error('no harness');
    return harness.handle(event);
  });
  const stop = async () => {
    await sandbox.setWebhook(null);
    await webhook.close();
    await sandbox.stop();
  };
  return { sandbox, webhook, stop };
}
/** A TCP proxy in front of Azurite's table port that can be cut (connections refused and dropped) and restored. */
export async function startTableProxy(
  tableEndpoint: string,
): Promise<{ port: number; open: boolean; cut(): void; restore(): void; close(): Promise<void> }> {
  const target = new URL(tableEndpoint);
  const sockets = new Set<Socket>();
  const state = { open: true };
  const server = createTcpServer((client) => {
    if (!state.open) {
      client.destroy();
      return;
    }
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    get open() {
      return state.open;
    },
    cut() {
      state.open = false;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    restore() {
      state.open = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Azurite's connection string with the table endpoint moved to another port (the proxy). */
export function viaPort(connectionString: string, port: number): string {
  return connectionString.replace(/(TableEndpoint=http:\/\/127\.0\.0\.1:)\d+/, `$1${port}`);
}

/** An evidence store on `connectionString` (e.g. through the proxy), without SDK retries so an outage fails fast. */
export function evidenceStoreAt(
  connectionString: string,
  table: string,
  options: Partial<CreateEvidenceStoreOptions> = {},
) {
  return createEvidenceStore(
    { storage: { connectionString }, evidenceTable: table },
    {
      remediatorIdentity: SELF.oid,
      remediatorVersion: remediatorVersion(),
      clientOptions: { retryOptions: { maxRetries: 0 } },
      ...options,
    },
  );
}
