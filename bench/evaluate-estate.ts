/**
 * The generated estate of the evaluate bench (bench/evaluate.bench.ts), in its own module so a
 * check can dump its findings: 10,000 NSGs x 20 rules (ARM and az CLI shapes, a realistic mix of
 * sources and ports, a few offenders) + 10,000 storage accounts, plus 1,000 Log Analytics
 * workspaces and 1,000 key vaults with the 1,000 keys the PHI accounts' CMKs name and a
 * diagnostic setting on every account, NSG and vault.
 */
import { relatedFromDocument } from '../lib/controls/related.js';
import type { Finding, NormalizedResource } from '../lib/controls/types.js';
import { evaluateResource } from '../lib/evaluate.js';
import { normalizeResource } from '../lib/resources/normalize.js';

export const NSGS = 10_000;
export const RULES = 20;
export const ACCOUNTS = 10_000;
export const WORKSPACES = 1_000;
export const VAULTS = 1_000;
const SUB = '/subscriptions/00000000-0000-4000-8000-000000000001';
const workspaceId = (i: number) =>
  `${SUB}/resourceGroups/rg-mon/providers/Microsoft.OperationalInsights/workspaces/law-${i}`;
const vaultId = (i: number) =>
  `${SUB}/resourceGroups/rg-kv-${i % 50}/providers/Microsoft.KeyVault/vaults/kv-${i}`;

const SOURCES = [
  'VirtualNetwork',
  '10.0.0.0/8',
  '10.20.0.0/16',
  'AzureLoadBalancer',
  '*',
  'Internet',
  '52.0.0.0/8',
  '203.0.113.7/32',
  '2a00::/12',
  '192.168.1.0/24',
];
const PORTS = ['443', '80', '22', '3389', '8080-8090', '*', '1433', '5000-6000', '0-65535', '9200'];

function rule(i: number, j: number, arm: boolean) {
  const seed = (i * 31 + j * 7) % 97;
  // Mostly private sources; about one rule in eight is open to the internet.
  const source = seed % 8 === 0 ? (SOURCES[4 + (seed % 3)] as string) : (SOURCES[seed % 4] as string);
  const fields = {
    protocol: seed % 5 === 0 ? '*' : 'Tcp',
    access: seed % 11 === 0 ? 'Deny' : 'Allow',
    direction: seed % 6 === 0 ? 'Outbound' : 'Inbound',
    priority: 100 + j * 10,
    sourcePortRange: '*',
    destinationAddressPrefix: '*',
    ...(seed % 4 === 1
      ? { sourceAddressPrefixes: [source, SOURCES[7 + (seed % 3)] as string] }
      : { sourceAddressPrefix: source }),
    ...(seed % 3 === 0
      ? { destinationPortRanges: [PORTS[seed % 10] as string, PORTS[(seed + 1) % 10] as string] }
      : { destinationPortRange: PORTS[seed % 10] as string }),
  };
  const name = `rule-${j}`;
  const id = `${SUB}/resourceGroups/rg-${i % 50}/providers/Microsoft.Network/networkSecurityGroups/nsg-${i}/securityRules/${name}`;
  return arm ? { name, id, properties: fields } : { name, id, ...fields };
}

function nsg(i: number) {
  const arm = i % 2 === 0;
  const rules = Array.from({ length: RULES }, (_, j) => rule(i, j, arm));
  const id = `${SUB}/resourceGroups/rg-${i % 50}/providers/Microsoft.Network/networkSecurityGroups/nsg-${i}`;
  const type = 'Microsoft.Network/networkSecurityGroups';
  return arm
    ? { id, name: `nsg-${i}`, type, properties: { securityRules: rules } }
    : { id, name: `nsg-${i}`, type, securityRules: rules };
}

function account(i: number) {
  const id = `${SUB}/resourceGroups/rg-${i % 50}/providers/Microsoft.Storage/storageAccounts/st${i}`;
  const props = {
    allowBlobPublicAccess: i % 13 === 0,
    supportsHttpsTrafficOnly: i % 17 !== 0,
    minimumTlsVersion: i % 7 === 0 ? 'TLS1_0' : 'TLS1_2',
    encryption:
      i % 3 === 0
        ? {
            keySource: 'Microsoft.Keyvault',
            keyvaultproperties: { keyname: 'cmk', keyvaulturi: `https://kv-${i % VAULTS}.vault.azure.net/` },
          }
        : { keySource: 'Microsoft.Storage' },
    publicNetworkAccess: 'Enabled',
    networkAcls: { defaultAction: i % 2 === 0 ? 'Deny' : 'Allow' },
  };
  const tags = i % 4 === 0 ? { 'data-classification': 'phi' } : {};
  return { id, name: `st${i}`, type: 'Microsoft.Storage/storageAccounts', tags, properties: props };
}

function workspace(i: number) {
  // one in ten left at the 30-day default
  const props = { retentionInDays: i % 10 === 0 ? 30 : 365, sku: { name: 'PerGB2018' } };
  return i % 2 === 0
    ? {
        id: workspaceId(i),
        name: `law-${i}`,
        type: 'Microsoft.OperationalInsights/workspaces',
        properties: props,
      }
    : { id: workspaceId(i), name: `law-${i}`, type: 'Microsoft.OperationalInsights/workspaces', ...props };
}

function vault(i: number) {
  const props = {
    vaultUri: `https://kv-${i}.vault.azure.net/`,
    enableSoftDelete: true,
    enablePurgeProtection: i % 5 !== 0,
    publicNetworkAccess: i % 3 === 0 ? 'Enabled' : 'Disabled',
    networkAcls: { defaultAction: 'Deny' },
  };
  const tags = i % 2 === 0 ? { 'data-classification': 'phi' } : {};
  return { id: vaultId(i), name: `kv-${i}`, type: 'Microsoft.KeyVault/vaults', tags, properties: props };
}

function key(i: number) {
  return {
    id: `${vaultId(i)}/keys/cmk`,
    name: 'cmk',
    type: 'Microsoft.KeyVault/vaults/keys',
    properties: { kty: i % 4 === 0 ? 'RSA' : 'RSA-HSM', keyUri: `https://kv-${i}.vault.azure.net/keys/cmk` },
  };
}

/** A diagnostic setting on `scope` sending the audit group to workspace `w` (some disabled). */
function setting(scope: string, w: number, i: number) {
  return {
    id: `${scope}/providers/Microsoft.Insights/diagnosticSettings/to-law`,
    name: 'to-law',
    type: 'Microsoft.Insights/diagnosticSettings',
    properties: { workspaceId: workspaceId(w), logs: [{ categoryGroup: 'audit', enabled: i % 9 !== 0 }] },
  };
}

export interface Estate {
  /** the 10k NSGs and 10k accounts alone */
  base: unknown[];
  /** base + workspaces, vaults, keys and diagnostic settings */
  full: unknown[];
  keys: number;
  settings: number;
}

/** Plain JSON (a JSON round trip: fresh objects as a parser would produce, no shared literals). */
export function buildEstate(): Estate {
  const nsgs = Array.from({ length: NSGS }, (_, i) => nsg(i));
  const accounts = Array.from({ length: ACCOUNTS }, (_, i) => account(i));
  const workspaces = Array.from({ length: WORKSPACES }, (_, i) => workspace(i));
  const vaults = Array.from({ length: VAULTS }, (_, i) => vault(i));
  const keys = Array.from({ length: VAULTS }, (_, i) => key(i));
  const settings = [
    ...accounts.map((a, i) => setting(`${a.id}/blobServices/default`, i % WORKSPACES, i)),
    ...nsgs.map((n, i) => setting(n.id, i % WORKSPACES, i)),
    ...vaults.map((v, i) => setting(v.id, i % WORKSPACES, i)),
  ];
  return {
    base: JSON.parse(JSON.stringify([...nsgs, ...accounts])) as unknown[],
    full: JSON.parse(
      JSON.stringify([...nsgs, ...accounts, ...workspaces, ...vaults, ...keys, ...settings]),
    ) as unknown[],
    keys: keys.length,
    settings: settings.length,
  };
}

/**
 * What the bench times: normalises everything, indexes what the cross-resource controls follow,
 * then evaluates each resource. `onFinding` sees every finding (the dump check); the bench only counts.
 */
export function evaluateEstate(
  estate: readonly unknown[],
  onFinding?: (finding: Finding) => void,
): { findings: number; fails: number } {
  let findings = 0;
  let fails = 0;
  const resources: NormalizedResource[] = [];
  for (const raw of estate) {
    const resource = normalizeResource(raw);
    if (resource) resources.push(resource);
  }
  const related = relatedFromDocument(resources);
  for (const resource of resources) {
    for (const finding of evaluateResource(resource, { related })) {
      findings++;
      if (finding.status === 'fail') fails++;
      onFinding?.(finding);
    }
  }
  return { findings, fails };
}
