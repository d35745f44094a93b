import { randomBytes } from 'node:crypto';
import { createHttpHeaders, type PipelinePolicy, type PipelineRetryOptions } from '@azure/core-rest-pipeline';
import { inject } from 'vitest';
import { type AppOverrides, createApp } from '../../../lib/app/app.js';
import { loadConfig } from '../../../lib/config.js';
import type { ControlId } from '../../../lib/controls/types.js';
import {
  type Sandbox,
  type SandboxOptions,
  type Scenario,
  type ScenarioResource,
  startSandbox,
} from '../../../lib/dev/arm-sandbox/index.js';
import type { NewException } from '../../../lib/exceptions/types.js';
import type { SweepRuntime } from '../../../lib/sweep/runtime.js';

/** driftwarden's own managed identity in these tests (the loop guard ignores its writes). */
export const SELF_OBJECT_ID = '11111111-2222-3333-4444-555555555555';

export interface Harness {
  sandbox: Sandbox;
  runtime: SweepRuntime;
  /** settings as the Function app would have them (for the local host's %SETTING% resolution) */
  settings: Record<string, string>;
  stop(): Promise<void>;
}

/** A sandbox with `scenario` and a sweep runtime built by the production factory on it and the shared Azurite. */
export async function startHarness(options: {
  subscriptions: string[];
  scenario: Scenario;
  sandbox?: SandboxOptions;
  overrides?: AppOverrides;
  env?: Record<string, string>;
  /** extra SDK pipeline policies (e.g. one subscription's requests refused) and retry tuning */
  armPolicies?: PipelinePolicy[];
  retryOptions?: PipelineRetryOptions;
  /** approved exceptions to record before the sweep */
  exceptions?: NewException[];
}): Promise<Harness> {
  const sandbox = await startSandbox({ pageSize: 5, ...options.sandbox, scenario: options.scenario });
  const suffix = randomBytes(5).toString('hex');
  const settings: Record<string, string> = {
    DW_STORAGE: inject('azurite').connectionString,
    DW_EVIDENCE_TABLE: `swev${suffix}`,
    DW_EXCEPTIONS_TABLE: `swex${suffix}`,
    DW_REPORTS_CONTAINER: `reports-${suffix}`,
    DW_SWEEP_QUEUE: `sweep-${suffix}`,
    DW_SWEEP_SCHEDULE: '0 0 3 1 * *',
    DW_SUBSCRIPTION_IDS: options.subscriptions.join(','),
    DW_ARM_ENDPOINT: sandbox.url,
    DW_SELF_OBJECT_ID: SELF_OBJECT_ID,
    // the identity controls have their own tests (test/integration/identity); here the sweep is ARM only
    DW_IDENTITY_ENABLED: 'false',
    ...options.env,
  };
  const runtime = await createApp(loadConfig(settings), {
    armConnection: {
      credential: sandbox.credential({ oid: SELF_OBJECT_ID, appid: 'driftwarden-test' }),
      endpoint: sandbox.url,
      clientOptions: {
        ...sandbox.clientOptions(),
        ...(options.retryOptions ? { retryOptions: options.retryOptions } : {}),
        additionalPolicies: (options.armPolicies ?? []).map((policy) => ({
          policy,
          position: 'perCall' as const,
        })),
      },
    },
    log: () => {},
    ...options.overrides,
  }).sweep();
  for (const exception of options.exceptions ?? []) await runtime.exceptions.create(exception);
  return {
    sandbox,
    runtime,
    settings,
    async stop() {
      await sandbox.stop();
    },
  };
}

// ------------------------------------------------------------------ a mixed estate

const SECURE = { allowBlobPublicAccess: false, supportsHttpsTrafficOnly: true, minimumTlsVersion: 'TLS1_2' };

export const rg = (sub: string) => `/subscriptions/${sub}/resourceGroups/rg-sweep`;
export const accountId = (sub: string, name: string) =>
  `${rg(sub)}/providers/Microsoft.Storage/storageAccounts/${name}`;
export const containerIdOf = (account: string, name: string) =>
  `${account}/blobServices/default/containers/${name}`;
export const nsgIdOf = (sub: string, name: string) =>
  `${rg(sub)}/providers/Microsoft.Network/networkSecurityGroups/${name}`;

/** The central audit workspace (12 months) in a management subscription the sweep does not cover. */
export const MANAGEMENT_SUB = 'aaaaaaaa-0000-4000-8000-0000000000ff';
export const CENTRAL_WORKSPACE = `/subscriptions/${MANAGEMENT_SUB}/resourceGroups/rg-monitoring/providers/Microsoft.OperationalInsights/workspaces/law-central`;

/** A diagnostic setting sending `scope`'s audit logs to the central workspace. */
export function auditSettingOf(scope: string, group: 'audit' | 'allLogs' = 'audit'): ScenarioResource {
  return {
    id: `${scope}/providers/Microsoft.Insights/diagnosticSettings/to-central`,
    properties: { workspaceId: CENTRAL_WORKSPACE, logs: [{ categoryGroup: group, enabled: true }] },
  };
}

function account(
  sub: string,
  name: string,
  properties: Record<string, unknown>,
  tags: Record<string, string> = {},
): ScenarioResource {
  return {
    id: accountId(sub, name),
    location: 'eastus',
    kind: 'StorageV2',
    sku: { name: 'Standard_LRS' },
    tags,
    properties,
  };
}

function rule(name: string, port: string, source: string, priority: number) {
  return {
    name,
    properties: {
      protocol: 'Tcp',
      sourceAddressPrefix: source,
      sourcePortRange: '*',
      destinationAddressPrefix: '*',
      destinationPortRange: port,
      access: 'Allow',
      priority,
      direction: 'Inbound',
    },
  };
}

function nsg(
  sub: string,
  name: string,
  rules: { name: string; properties: Record<string, unknown> }[],
): ScenarioResource {
  return { id: nsgIdOf(sub, name), location: 'eastus', properties: { securityRules: rules } };
}

/**
 * Per subscription: drift in every control, plus compliant resources.
 * - stpublic: allowBlobPublicAccess true, with a public container and a private one
 * - stlegacy: allowBlobPublicAccess absent (null permits anonymous access), one private container
 * - sthttp: https-only off; sttls: TLS 1.0
 * - stphi: PHI tag, Microsoft-managed keys, public network Allow (two audit-mode findings)
 * - stshared: allowBlobPublicAccess true under an approved exception (sharedExceptions), so its
 *   containers still matter: 'assets' is public (remediated), 'private' is not
 * - containers of accounts the sweep closes (stpublic, stlegacy) are covered by the account
 *   switch and not listed
 * - stlocked: compliant, allowBlobPublicAccess false, holding a container marked public that the
 *   account-level switch neutralises (never listed: no container evidence for it)
 * - nsg-rdp (3389 from *), nsg-web (8080 from Internet), nsg-mixed (22 from Internet + 10.0.0.0/8),
 *   nsg-ok (VirtualNetwork only)
 */
export function mixedEstate(subscriptions: string[]): Scenario {
  const resources: ScenarioResource[] = [];
  for (const sub of subscriptions) {
    const publicAccount = accountId(sub, 'stpublic');
    const legacyAccount = accountId(sub, 'stlegacy');
    const lockedAccount = accountId(sub, 'stlocked');
    resources.push(
      account(sub, 'stpublic', { ...SECURE, allowBlobPublicAccess: true }),
      { id: containerIdOf(publicAccount, 'web'), properties: { publicAccess: 'Container' } },
      { id: containerIdOf(publicAccount, 'private'), properties: { publicAccess: 'None' } },
      account(sub, 'stlegacy', { supportsHttpsTrafficOnly: true, minimumTlsVersion: 'TLS1_2' }),
      { id: containerIdOf(legacyAccount, 'data'), properties: { publicAccess: 'None' } },
      account(sub, 'sthttp', { ...SECURE, supportsHttpsTrafficOnly: false }),
      account(sub, 'sttls', { ...SECURE, minimumTlsVersion: 'TLS1_0' }),
      account(
        sub,
        'stphi',
        {
          ...SECURE,
          publicNetworkAccess: 'Enabled',
          networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' },
        },
        { 'data-classification': 'phi' },
      ),
      account(sub, 'stlocked', SECURE),
      account(sub, 'stshared', { ...SECURE, allowBlobPublicAccess: true }),
      { id: containerIdOf(accountId(sub, 'stshared'), 'assets'), properties: { publicAccess: 'Container' } },
      { id: containerIdOf(accountId(sub, 'stshared'), 'private'), properties: { publicAccess: 'None' } },
      { id: containerIdOf(lockedAccount, 'ignored'), properties: { publicAccess: 'None' } },
      nsg(sub, 'nsg-rdp', [
        rule('allow-rdp', '3389', '*', 100),
        rule('allow-vnet', '8000', 'VirtualNetwork', 200),
      ]),
      nsg(sub, 'nsg-web', [rule('allow-web', '8080', 'Internet', 100)]),
      nsg(sub, 'nsg-mixed', [
        {
          name: 'allow-ssh',
          properties: {
            protocol: 'Tcp',
            sourceAddressPrefixes: ['Internet', '10.0.0.0/8'],
            sourcePortRange: '*',
            destinationAddressPrefix: '*',
            destinationPortRange: '22',
            access: 'Allow',
            priority: 110,
            direction: 'Inbound',
          },
        },
      ]),
      nsg(sub, 'nsg-ok', [rule('allow-vnet', '8000', 'VirtualNetwork', 100)]),
    );
    // every account and NSG sends its audit logs to the central workspace (DIAG-RESOURCE-LOGS holds)
    for (const name of ['stpublic', 'stlegacy', 'sthttp', 'sttls', 'stphi', 'stlocked', 'stshared'])
      resources.push(auditSettingOf(`${accountId(sub, name)}/blobServices/default`));
    for (const name of ['nsg-rdp', 'nsg-web', 'nsg-mixed', 'nsg-ok'])
      resources.push(auditSettingOf(nsgIdOf(sub, name), 'allLogs'));
  }
  resources.push({ id: CENTRAL_WORKSPACE, location: 'eastus', properties: { retentionInDays: 365 } });
  return { subscriptions, resources };
}

/** What the sweep should conclude per subscription for mixedEstate (catalog default modes). */
export const MIXED_EXPECTED_PER_SUBSCRIPTION: Partial<
  Record<ControlId, { remediated: number; audit: number }>
> = {
  'STG-PUBLIC-BLOB': { remediated: 2, audit: 0 }, // stpublic (true) + stlegacy (absent)
  'STG-CONTAINER-PUBLIC': { remediated: 1, audit: 0 }, // stpublic/web
  'STG-HTTPS-ONLY': { remediated: 1, audit: 0 },
  'STG-MIN-TLS': { remediated: 1, audit: 0 },
  'STG-CMK-PHI': { remediated: 0, audit: 1 },
  'STG-NETWORK-PHI': { remediated: 0, audit: 1 },
  'NSG-MGMT-PORT': { remediated: 2, audit: 0 }, // nsg-rdp, nsg-mixed
  'NSG-OPEN-INBOUND': { remediated: 1, audit: 0 }, // nsg-web
};

/**
 * ARM refusing one subscription, as it does when the identity has no role there: every request
 * for it is answered `status` with an ARM error body, before it reaches the sandbox.
 */
export function refuseSubscription(
  subscriptionId: string,
  status = 403,
  code = 'AuthorizationFailed',
): PipelinePolicy {
  return {
    name: `refuse-${subscriptionId}`,
    async sendRequest(request, next) {
      if (!request.url.toLowerCase().includes(`/subscriptions/${subscriptionId.toLowerCase()}/`))
        return next(request);
      return {
        request,
        status,
        headers: createHttpHeaders({
          'content-type': 'application/json; charset=utf-8',
          'x-ms-request-id': 'refused',
        }),
        bodyAsText: JSON.stringify({
          error: {
            code,
            message: `The client does not have authorization to perform action over scope '/subscriptions/${subscriptionId}'.`,
          },
        }),
      };
    },
  };
}

/** The approved exception that keeps each subscription's `stshared` account public (a static website, say). */
export function sharedExceptions(subscriptions: string[]): NewException[] {
  return subscriptions.map((sub) => ({
    controlId: 'STG-PUBLIC-BLOB',
    scope: accountId(sub, 'stshared'),
    justification: 'public marketing assets served anonymously',
    ticket: 'CHG-4711',
    approvedBy: 'ciso@example.org',
    expiresOn: new Date(Date.now() + 30 * 86_400_000).toISOString(),
  }));
}
