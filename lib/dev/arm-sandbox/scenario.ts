/**
 * Loading an estate into the sandbox: a scenario is a list of ARM resources (as `az resource show`
 * prints them). Seeding writes state directly: no events, no validation of who may do what, but
 * the same shape rules as the REST API (so a seeded NSG looks exactly like a PUT one).
 */
import { readFileSync } from 'node:fs';
import { canonicalId, parseResourceId } from './ids.js';
import { buildKey, buildVault } from './providers/keyvault/shapes.js';
import { buildDiagnosticSetting, buildTable, buildWorkspace } from './providers/monitor/shapes.js';
import { buildNsg, buildRule, withRule } from './providers/network/shapes.js';
import { buildContainer, buildStorageAccount } from './providers/storage/shapes.js';
import type { ResourceStore } from './state.js';
import type { Scenario, ScenarioResource } from './types.js';

/** Tenant of seeded vaults (scenarios describe resources, not tenants). */
const SEED_TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

const ORDER = {
  storageAccount: 0,
  networkSecurityGroup: 1,
  logAnalyticsWorkspace: 1,
  keyVault: 1,
  blobContainer: 2,
  securityRule: 3,
  keyVaultKey: 3,
  logAnalyticsTable: 3,
  // after everything a setting can be attached to or send to
  diagnosticSetting: 4,
} as const;

export function loadScenarioFile(file: string): Scenario {
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (Array.isArray(parsed)) return { resources: parsed as ScenarioResource[] };
  const scenario = parsed as Partial<Scenario> & { value?: ScenarioResource[] };
  const resources = scenario.resources ?? scenario.value;
  if (!Array.isArray(resources)) throw new Error(`${file}: expected { "resources": [...] }`);
  return { ...scenario, resources } as Scenario;
}

export function seedScenario(store: ResourceStore, scenario: Scenario): void {
  const items = scenario.resources.map((resource) => {
    const parsed = parseResourceId(resource.id);
    if (!parsed) throw new Error(`scenario: unsupported resource id ${resource.id}`);
    return { resource, parsed };
  });
  items.sort((a, b) => ORDER[a.parsed.kind] - ORDER[b.parsed.kind]);
  for (const { resource, parsed } of items) {
    const id = canonicalId(parsed);
    try {
      switch (parsed.kind) {
        case 'storageAccount':
          store.put('storageAccount', buildStorageAccount(id, parsed.parent, resource, false, 'Succeeded'));
          break;
        case 'networkSecurityGroup':
          store.put(
            'networkSecurityGroup',
            buildNsg(id, parsed.parent, resource, undefined, 'Succeeded', true),
          );
          break;
        case 'blobContainer': {
          const accountId = id.slice(0, id.toLowerCase().indexOf('/blobservices/'));
          const account = store.get(accountId);
          if (!account) throw new Error(`its storage account ${accountId} is not in the scenario`);
          // Seeding may represent drift Azure would refuse via the API today, so no public-access check.
          store.put(
            'blobContainer',
            buildContainer(id, parsed.child ?? '', account, resource, undefined, false),
          );
          break;
        }
        case 'securityRule': {
          const nsgIdText = id.slice(0, id.toLowerCase().indexOf('/securityrules/'));
          const nsg = store.get(nsgIdText);
          if (!nsg) throw new Error(`its network security group ${nsgIdText} is not in the scenario`);
          const rule = buildRule(id, parsed.child ?? '', resource, 'Succeeded', true);
          store.put('networkSecurityGroup', withRule(nsg, rule.name, rule));
          break;
        }
        case 'logAnalyticsWorkspace':
          store.put('logAnalyticsWorkspace', buildWorkspace(id, parsed.parent, resource, 'Succeeded'));
          break;
        case 'logAnalyticsTable': {
          const workspaceIdText = id.slice(0, id.toLowerCase().lastIndexOf('/tables/'));
          const workspace = store.get(workspaceIdText);
          if (!workspace) throw new Error(`its workspace ${workspaceIdText} is not in the scenario`);
          // seeded tables are the workspace's built-in or custom ones: any name
          store.put('logAnalyticsTable', buildTable(id, parsed.child ?? '', resource, undefined, workspace));
          break;
        }
        case 'keyVault':
          store.put('keyVault', buildVault(id, parsed.parent, resource, false, SEED_TENANT));
          break;
        case 'keyVaultKey': {
          const vaultIdText = id.slice(0, id.toLowerCase().lastIndexOf('/keys/'));
          const vault = store.get(vaultIdText);
          if (!vault) throw new Error(`its key vault ${vaultIdText} is not in the scenario`);
          store.put('keyVaultKey', buildKey(id, parsed.child ?? '', vault, resource));
          break;
        }
        case 'diagnosticSetting': {
          const owner = parsed.parent.replace(/\/blobServices\/default$/i, '');
          if (!store.get(owner)) throw new Error(`its resource ${owner} is not in the scenario`);
          store.put(
            'diagnosticSetting',
            buildDiagnosticSetting(
              id,
              parsed.child ?? '',
              parsed.parent,
              resource,
              (w) => store.get(w) !== undefined,
            ),
          );
          break;
        }
      }
    } catch (thrown) {
      const message = thrown instanceof Error ? thrown.message : String(thrown);
      throw new Error(`scenario: cannot seed ${resource.id}: ${message}`);
    }
  }
}
