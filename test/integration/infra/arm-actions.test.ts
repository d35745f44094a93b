import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArmClients } from '../../../lib/azure/clients.js';
import { ARM_ACTIONS } from '../../../lib/azure/operations.js';
import { listDiagnosticSettings } from '../../../lib/azure/related-reader.js';
import { ArmResourceGateway } from '../../../lib/azure/resources.js';
import type { RemediationPlan } from '../../../lib/controls/types.js';
import { type Sandbox, type Scenario, startSandbox } from '../../../lib/dev/arm-sandbox/index.js';
import { ArmPolicyStatesReader } from '../../../lib/policy/states.js';
import type { ResourceSnapshot } from '../../../lib/remediation/types.js';
import { normalizeResource } from '../../../lib/resources/normalize.js';
import {
  keyPages,
  listContainers,
  networkSecurityGroupPages,
  storageAccountPages,
  vaultPages,
  workspacePages,
} from '../../../lib/sweep/enumerate.js';
import { SweepRelated } from '../../../lib/sweep/related.js';
import { module, onlyOfType, rootScope } from '../../support/arm-template.js';
import { describeCompiled } from '../../support/compiled-infra.js';
import { PARTNER_API, RDP_FROM_ANY } from '../../support/rules.js';
import {
  ACCOUNT,
  ACCOUNT2,
  auditSetting,
  baseScenario,
  CONTAINER,
  NSG,
  RG,
  SELF,
  SUB,
  WORKSPACE,
} from '../events/harness.js';

/**
 * Least privilege, checked against real traffic: drive every ARM call driftwarden's adapters make
 * (ArmResourceGateway read / apply / restoreState for every resource kind, and the sweep's
 * enumeration with nextLink paging) through the real SDK clients against the ARM sandbox, map
 * each request the sandbox saw to its ARM action, and require the custom role's ARM_ACTIONS to be
 * exactly that set — nothing missing (a 403 in production), nothing unused (excess privilege) —
 * and the custom role in the compiled template (what Azure is actually given) to grant the same.
 *
 * Exempt: GETs of long-running-operation status URLs (`.../locations/{l}/operations/{id}`,
 * `.../operationResults/{id}`, `.../asyncoperations/{id}`). ARM hands those URLs to the caller that
 * started the operation (Azure-AsyncOperation / Location headers) and does not require a separate
 * RBAC action for polling them.
 *
 * Not covered here, by design: lib/local/drift.ts (the demo's "cause drift" tool acts as a named
 * user, not as driftwarden's identity).
 */

const OTHER_RG = `/subscriptions/${SUB}/resourceGroups/rg-telehealth`;
const NSG2 = `${OTHER_RG}/providers/Microsoft.Network/networkSecurityGroups/nsg-video`;
const LRO_STATUS = /^(operations|operationresults|asyncoperations)$/i;
const VAULT = `${RG}/providers/Microsoft.KeyVault/vaults/kv-phi`;
/** A workspace in a subscription the sweep does not cover (a central audit workspace). */
const REMOTE_WORKSPACE =
  '/subscriptions/3c9f2b1e-5d4a-4e8b-9a7c-0000000000ff/resourceGroups/rg-monitoring/providers/Microsoft.OperationalInsights/workspaces/law-central';

/**
 * Actions ARM checks on a resource a request links to, beyond the request's own action: a
 * diagnostic setting naming a Log Analytics workspace as its destination needs the workspace's
 * sharedKeys/action (ARM answers LinkedAuthorizationFailed without it). Every diagnostic setting
 * driftwarden writes names a workspace.
 */
const LINKED_ACTIONS: { method: string; path: RegExp; action: string }[] = [
  {
    method: 'PUT',
    path: /\/providers\/microsoft\.insights\/diagnosticsettings\/[^/]+$/i,
    action: 'Microsoft.OperationalInsights/workspaces/sharedKeys/action',
  },
];

/** The request's own action and the linked ones ARM checks too. */
function actionsOf(method: string, path: string): string[] {
  const own = armAction(method, path);
  const linked = LINKED_ACTIONS.filter((l) => l.method === method.toUpperCase() && l.path.test(path));
  return [...(own ? [own] : []), ...linked.map((l) => l.action)];
}

/** GET → read, PUT/PATCH → write, DELETE → delete, POST → <last segment>/action; null for LRO status polls. */
function armAction(method: string, path: string): string | null {
  const at = path.toLowerCase().lastIndexOf('/providers/');
  if (at < 0) throw new Error(`not a provider path: ${path}`);
  const [namespace, ...rest] = path
    .slice(at + '/providers/'.length)
    .split('/')
    .filter((part) => part !== '');
  if (!namespace || rest.length === 0) throw new Error(`no resource type in ${path}`);
  if (rest[0]?.toLowerCase() === 'locations' && LRO_STATUS.test(rest[2] ?? '')) return null;
  // type/name pairs: the types are the even positions (a list ends on a type); POST names an action last
  const post = method.toUpperCase() === 'POST';
  const types = (post ? rest.slice(0, -1) : rest).filter((_, index) => index % 2 === 0);
  switch (method.toUpperCase()) {
    case 'GET':
      return `${namespace}/${types.join('/')}/read`;
    case 'PUT':
    case 'PATCH':
      return `${namespace}/${types.join('/')}/write`;
    case 'DELETE':
      return `${namespace}/${types.join('/')}/delete`;
    case 'POST':
      return `${namespace}/${types.join('/')}/${rest.at(-1)}/action`;
    default:
      throw new Error(`unexpected method ${method} on ${path}`);
  }
}

function scenario(): Scenario {
  const base = baseScenario();
  const nsg = base.resources.find((r) => r.id === NSG);
  const rules = (nsg?.properties?.securityRules ?? []) as unknown[];
  return {
    resources: [
      ...base.resources.map((r) =>
        r.id === NSG
          ? {
              ...r,
              properties: {
                ...r.properties,
                securityRules: [
                  ...rules,
                  {
                    name: 'allow-rdp',
                    properties: { ...RDP_FROM_ANY },
                  },
                  {
                    name: 'partner-api',
                    properties: { ...PARTNER_API },
                  },
                ],
              },
            }
          : r.id === ACCOUNT
            ? {
                ...r,
                properties: {
                  ...r.properties,
                  allowBlobPublicAccess: true,
                  minimumTlsVersion: 'TLS1_0',
                  encryption: {
                    keySource: 'Microsoft.Keyvault',
                    keyvaultproperties: { keyname: 'cmk', keyvaulturi: 'https://kv-phi.vault.azure.net/' },
                  },
                },
              }
            : r,
      ),
      { id: VAULT, location: 'westeurope', properties: { sku: { family: 'A', name: 'premium' } } },
      { id: `${VAULT}/keys/cmk`, properties: { kty: 'RSA-HSM' } },
      auditSetting(VAULT),
      { id: REMOTE_WORKSPACE, location: 'westeurope', properties: { retentionInDays: 365 } },
      { id: `${WORKSPACE}/tables/StorageBlobLogs`, properties: { retentionInDays: 30 } },
      { id: `${WORKSPACE}/tables/AzureDiagnostics`, properties: {} },
      {
        id: `${ACCOUNT2}/blobServices/default/providers/Microsoft.Insights/diagnosticSettings/to-central`,
        properties: { workspaceId: REMOTE_WORKSPACE, logs: [{ categoryGroup: 'audit', enabled: true }] },
      },
      { id: `${ACCOUNT}/blobServices/default/containers/leaflets`, properties: { publicAccess: 'Blob' } },
      { id: NSG2, location: 'westeurope', properties: { securityRules: [] } },
    ],
    // two states: with page size 1 the cross-check follows a nextLink
    policyStates: [
      {
        resourceId: ACCOUNT,
        policyDefinitionId: 'fe83a0eb-a853-422d-aac2-1bffd182c5d0',
        complianceState: 'NonCompliant',
      },
      {
        resourceId: ACCOUNT2,
        policyDefinitionId: 'fe83a0eb-a853-422d-aac2-1bffd182c5d0',
        complianceState: 'Compliant',
      },
    ],
  };
}

let sandbox: Sandbox;
let gateway: ArmResourceGateway;
let arm: ArmClients;

beforeAll(async () => {
  // page size 1: every list needs nextLink paging, as a large estate would
  sandbox = await startSandbox({ pageSize: 1 });
  sandbox.seed(scenario());
  arm = new ArmClients({
    credential: sandbox.credential(SELF),
    endpoint: sandbox.url,
    clientOptions: { ...sandbox.clientOptions(), retryOptions: { maxRetries: 0 } },
  });
  gateway = new ArmResourceGateway(arm, { pollIntervalMs: 10 });
});
afterAll(async () => {
  await sandbox.stop();
});

async function mustRead(id: string): Promise<ResourceSnapshot> {
  const snapshot = await gateway.read(id);
  if (!snapshot) throw new Error(`${id} not found`);
  return snapshot;
}

/** Every ARM call path of the adapters, for every resource kind. */
async function driveAdapters(): Promise<void> {
  // sweep enumeration (whole subscription, paged) and container listing
  for await (const _page of storageAccountPages(arm, SUB));
  for await (const _page of networkSecurityGroupPages(arm, SUB));
  expect((await listContainers(arm, SUB, ACCOUNT)).length).toBe(2);

  // reads (event path re-read, restore pre-check), including a 404
  const account = await mustRead(ACCOUNT);
  const container = await mustRead(`${ACCOUNT}/blobServices/default/containers/leaflets`);
  const nsg = await mustRead(NSG);
  const rule = await mustRead(`${NSG}/securityRules/allow-rdp`);
  expect(await gateway.read(`${ACCOUNT2}/blobServices/default/containers/absent`)).toBeNull();
  await mustRead(CONTAINER);

  // the new types: sweep lists (workspaces, vaults, a vault's keys, a scope's diagnostic settings),
  // the sweep's lookups (a central workspace in another subscription), event-path reads and the
  // cross-resource reads (diagnostic settings, their workspaces, the CMK key via the vault list)
  for await (const _page of workspacePages(arm, SUB));
  for await (const _page of vaultPages(arm, SUB));
  for await (const _page of keyPages(arm, SUB, 'rg-portal', 'kv-phi'));
  expect(await listDiagnosticSettings(arm, SUB, VAULT)).toHaveLength(1);
  const sweepRelated = new SweepRelated(arm, SUB);
  await sweepRelated.forResource((await mustRead(ACCOUNT2)).raw);
  const workspace = await mustRead(WORKSPACE);
  const vault = await mustRead(VAULT);
  await mustRead(`${VAULT}/keys/cmk`);
  await mustRead(`${VAULT}/providers/Microsoft.Insights/diagnosticSettings/to-law-audit`);
  for (const snapshot of [account, vault]) {
    const resource = normalizeResource(snapshot.raw);
    if (resource) await gateway.related(resource);
  }
  await gateway.apply({ kind: 'workspace-properties', set: { retentionInDays: 365 } }, workspace);
  await gateway.restoreState(WORKSPACE, { retentionInDays: 90 });
  // LAW-RETENTION's tables: the list (event path and sweep), a table read by id
  const workspaceResource = normalizeResource(workspace.raw);
  if (workspaceResource) await gateway.related(workspaceResource);
  await sweepRelated.forResource(workspace.raw);
  await mustRead(`${WORKSPACE}/tables/StorageBlobLogs`);
  // DIAG-RESOURCE-LOGS remediate: create driftwarden-soc2 on the vault, then restore deletes it
  await gateway.apply(
    {
      kind: 'diagnostic-setting',
      scopeId: VAULT,
      name: 'driftwarden-soc2',
      workspaceId: WORKSPACE,
      categories: ['AuditEvent'],
    },
    vault,
  );
  await gateway.restoreDiagnosticSetting(VAULT, VAULT, 'driftwarden-soc2', null);

  // remediation writes: one per plan kind (rule plans on a rule snapshot and on an NSG snapshot)
  const plans: [RemediationPlan, ResourceSnapshot][] = [
    [
      {
        kind: 'storage-account-properties',
        set: { allowBlobPublicAccess: false, minimumTlsVersion: 'TLS1_2' },
      },
      account,
    ],
    [{ kind: 'blob-container-public-access', set: { publicAccess: 'None' } }, container],
    [{ kind: 'nsg-rule-deny', ruleName: 'allow-rdp' }, rule],
    [{ kind: 'nsg-rule-remove-sources', ruleName: 'partner-api', removeSources: ['0.0.0.0/0'] }, nsg],
  ];
  // each write on a fresh read: in Azure a rule's ETag is its NSG's, so the rule write makes the
  // NSG snapshot's ETags stale
  const fresh = async (snapshot: ResourceSnapshot) => (await gateway.read(snapshot.resourceId)) ?? snapshot;
  for (const [plan, snapshot] of plans) await gateway.apply(plan, await fresh(snapshot));

  // restore writes: storage properties, container (ETag compared), rule by rule id and by NSG id
  await gateway.restoreState(ACCOUNT, { allowBlobPublicAccess: true, minimumTlsVersion: 'TLS1_0' });
  await gateway.restoreState(container.resourceId, { publicAccess: 'Blob' }, (await fresh(container)).etag);
  await gateway.restoreState(rule.resourceId, rule.raw, (await fresh(rule)).etag);
  const partner = (nsg.raw.securityRules as Record<string, unknown>[]).find((r) => r.name === 'partner-api');
  await gateway.restoreState(NSG, partner, (await fresh(rule)).etag);
  // the Azure Policy cross-check's reads (POST query, GET nextLink)
  const states = await new ArmPolicyStatesReader(arm.connection).read(
    SUB,
    ['fe83a0eb-a853-422d-aac2-1bffd182c5d0'],
    null,
  );
  expect(states).toHaveLength(2);
}

/** Every ARM request the adapters made (filled by the first describe's beforeAll). */
let seen: { method: string; path: string }[] = [];

describe('ARM actions: the custom role is exactly what the adapters call', () => {
  beforeAll(async () => {
    sandbox.resetStats();
    await driveAdapters();
    seen = sandbox.requestLog();
  });

  it('drove every kind of call (lists with paging, reads, PATCH/PUT writes, LRO polls)', () => {
    const byKind = sandbox.stats().requests.byKind;
    expect(byKind['storageAccounts.list']).toBeGreaterThan(1); // nextLink followed
    expect(byKind['networkSecurityGroups.list']).toBeGreaterThan(1);
    for (const kind of [
      'containers.list',
      'storageAccounts.get',
      'containers.get',
      'networkSecurityGroups.get',
      'securityRules.get',
      'storageAccounts.patch',
      'containers.patch',
      'securityRules.put',
    ])
      expect(byKind[kind], kind).toBeGreaterThan(0);
    expect(sandbox.stats().throttled + sandbox.stats().faults).toBe(0);
  });

  it('every request maps to an action in ARM_ACTIONS (LRO status polls exempt)', () => {
    const granted = new Set(ARM_ACTIONS.map((action) => action.toLowerCase()));
    const missing = seen
      .flatMap(({ method, path }) => actionsOf(method, path).map((action) => ({ method, path, action })))
      .filter(({ action }) => !granted.has(action.toLowerCase()));
    expect(missing).toEqual([]);
  });

  it('ARM_ACTIONS grants nothing that was not used', () => {
    const used = new Set(
      seen.flatMap(({ method, path }) => actionsOf(method, path)).map((a) => a.toLowerCase()),
    );
    expect(ARM_ACTIONS.filter((action) => !used.has(action.toLowerCase()))).toEqual([]);
  });

  it('observed exactly these request shapes (documents the mapping)', () => {
    const shapes = new Map<string, string>();
    for (const { method, path } of seen) {
      const shape = `${method} ${path.replace(/\/(subscriptions|resourceGroups|storageAccounts|containers|networkSecurityGroups|securityRules|locations|operations|asyncoperations|operationResults|workspaces|tables|vaults|keys|diagnosticSettings)\/[^/]+/gi, '/$1/{}')}`;
      shapes.set(shape, armAction(method, path) ?? 'exempt (LRO status)');
    }
    const S = '/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Storage/storageAccounts/{}';
    const N = '/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/networkSecurityGroups/{}';
    // @azure/arm-operationalinsights spells the segment in lower case (ARM matches it case-insensitively)
    const W = '/subscriptions/{}/resourcegroups/{}/providers/Microsoft.OperationalInsights/workspaces/{}';
    const V = '/subscriptions/{}/resourceGroups/{}/providers/Microsoft.KeyVault/vaults/{}';
    expect(Object.fromEntries(shapes)).toEqual({
      'GET /subscriptions/{}/providers/Microsoft.Storage/storageAccounts':
        'Microsoft.Storage/storageAccounts/read',
      'GET /subscriptions/{}/providers/Microsoft.Network/networkSecurityGroups':
        'Microsoft.Network/networkSecurityGroups/read',
      [`GET ${S}`]: 'Microsoft.Storage/storageAccounts/read',
      [`PATCH ${S}`]: 'Microsoft.Storage/storageAccounts/write',
      [`GET ${S}/blobServices/default/containers`]:
        'Microsoft.Storage/storageAccounts/blobServices/containers/read',
      [`GET ${S}/blobServices/default/containers/{}`]:
        'Microsoft.Storage/storageAccounts/blobServices/containers/read',
      [`PATCH ${S}/blobServices/default/containers/{}`]:
        'Microsoft.Storage/storageAccounts/blobServices/containers/write',
      [`GET ${N}`]: 'Microsoft.Network/networkSecurityGroups/read',
      [`GET ${N}/securityRules/{}`]: 'Microsoft.Network/networkSecurityGroups/securityRules/read',
      [`PUT ${N}/securityRules/{}`]: 'Microsoft.Network/networkSecurityGroups/securityRules/write',
      'GET /subscriptions/{}/providers/Microsoft.Network/locations/{}/operations/{}': 'exempt (LRO status)',
      'GET /subscriptions/{}/providers/Microsoft.OperationalInsights/workspaces':
        'Microsoft.OperationalInsights/workspaces/read',
      [`GET ${W}`]: 'Microsoft.OperationalInsights/workspaces/read',
      [`PATCH ${W}`]: 'Microsoft.OperationalInsights/workspaces/write',
      [`GET ${W.replace('resourcegroups', 'resourceGroups')}/tables`]:
        'Microsoft.OperationalInsights/workspaces/tables/read',
      [`GET ${W.replace('resourcegroups', 'resourceGroups')}/tables/{}`]:
        'Microsoft.OperationalInsights/workspaces/tables/read',
      [`PUT ${V}/providers/Microsoft.Insights/diagnosticSettings/{}`]:
        'Microsoft.Insights/diagnosticSettings/write',
      [`DELETE ${V}/providers/Microsoft.Insights/diagnosticSettings/{}`]:
        'Microsoft.Insights/diagnosticSettings/delete',
      'GET /subscriptions/{}/providers/Microsoft.KeyVault/vaults': 'Microsoft.KeyVault/vaults/read',
      [`GET ${V}`]: 'Microsoft.KeyVault/vaults/read',
      [`GET ${V}/keys`]: 'Microsoft.KeyVault/vaults/keys/read',
      [`GET ${V}/keys/{}`]: 'Microsoft.KeyVault/vaults/keys/read',
      [`GET ${V}/providers/Microsoft.Insights/diagnosticSettings`]:
        'Microsoft.Insights/diagnosticSettings/read',
      [`GET ${V}/providers/Microsoft.Insights/diagnosticSettings/{}`]:
        'Microsoft.Insights/diagnosticSettings/read',
      [`GET ${S}/blobServices/default/providers/Microsoft.Insights/diagnosticSettings`]:
        'Microsoft.Insights/diagnosticSettings/read',
      'POST /subscriptions/{}/providers/Microsoft.PolicyInsights/policyStates/latest/queryResults':
        'Microsoft.PolicyInsights/policyStates/queryResults/action',
      'GET /subscriptions/{}/providers/Microsoft.PolicyInsights/policyStates/latest/queryResults':
        'Microsoft.PolicyInsights/policyStates/queryResults/read',
    });
  });
});

describeCompiled(
  'ARM actions: the deployed custom role (compiled infra/) is what the adapters call',
  (infra) => {
    const monitored = module(rootScope(infra.template, infra.exampleParameters), 'monitored');
    const role = onlyOfType(monitored, 'Microsoft.Authorization/roleDefinitions');
    const permissions = (role.evaluated.properties as { permissions: { actions: string[] }[] }).permissions;

    it('grants exactly the actions the adapters used, nothing more', () => {
      expect(seen.length).toBeGreaterThan(0);
      const used = new Set(
        seen.flatMap(({ method, path }) => actionsOf(method, path)).map((a) => a.toLowerCase()),
      );
      const granted = permissions.flatMap((p) => p.actions).map((action) => action.toLowerCase());
      expect([...used].filter((action) => !granted.includes(action))).toEqual([]); // a 403 in Azure
      expect(granted.filter((action) => !used.has(action))).toEqual([]); // excess privilege
      expect(new Set(granted).size).toBe(granted.length);
    });
  },
);

describe('armAction (the mapping itself)', () => {
  it.each([
    ['GET', `${ACCOUNT}`, 'Microsoft.Storage/storageAccounts/read'],
    [
      'GET',
      `/subscriptions/${SUB}/providers/Microsoft.Storage/storageAccounts`,
      'Microsoft.Storage/storageAccounts/read',
    ],
    ['PATCH', CONTAINER, 'Microsoft.Storage/storageAccounts/blobServices/containers/write'],
    ['PUT', `${NSG}/securityRules/r1`, 'Microsoft.Network/networkSecurityGroups/securityRules/write'],
    ['DELETE', NSG, 'Microsoft.Network/networkSecurityGroups/delete'],
    ['POST', `${ACCOUNT}/listKeys`, 'Microsoft.Storage/storageAccounts/listKeys/action'],
    ['GET', `/subscriptions/${SUB}/providers/Microsoft.Network/locations/westeurope/operations/abc`, null],
    [
      'GET',
      `/subscriptions/${SUB}/providers/Microsoft.Storage/locations/westeurope/asyncoperations/abc`,
      null,
    ],
  ])('%s %s → %s', (method, path, action) => {
    expect(armAction(method, path)).toBe(action);
  });
});
