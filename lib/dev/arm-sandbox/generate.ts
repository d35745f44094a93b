/**
 * Synthetic estates for benchmarks and reliability tests: N storage accounts and NSGs spread
 * round-robin over subscriptions, a chosen fraction of them drifted. Deterministic for a seed.
 */
import { seededRandom } from '../random.js';
import { nsgId, storageAccountId } from './ids.js';
import type { Scenario, ScenarioResource } from './types.js';

export interface EstateSpec {
  /** how many subscriptions (ids derived from the seed) or the ids themselves */
  subscriptions: number | string[];
  /** total storage accounts, spread round-robin over the subscriptions */
  storageAccounts: number;
  /** total network security groups, spread round-robin */
  nsgs: number;
  /** compliant custom rules per NSG (a drifted NSG gets one extra offending rule); default 3 */
  rulesPerNsg?: number;
  /** 0..1: fraction of resources that violate a control */
  driftRatio: number;
  seed: number;
  /** resource groups per subscription; default 4 */
  resourceGroups?: number;
}

function guid(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const STORAGE_DRIFTS: Array<Record<string, unknown>> = [
  { allowBlobPublicAccess: true },
  { supportsHttpsTrafficOnly: false },
  { minimumTlsVersion: 'TLS1_0' },
  {}, // allowBlobPublicAccess absent: older accounts permit anonymous access
];

const COMPLIANT_STORAGE = {
  allowBlobPublicAccess: false,
  supportsHttpsTrafficOnly: true,
  minimumTlsVersion: 'TLS1_2',
};

const OFFENDING_RULES = [
  { name: 'allow-rdp-any', port: '3389', source: '*' },
  { name: 'allow-ssh-internet', port: '22', source: 'Internet' },
  { name: 'allow-sql-anywhere', port: '1433', source: '0.0.0.0/0' },
  { name: 'allow-http-internet', port: '8080', source: 'Internet' },
];

function compliantRule(index: number): Record<string, unknown> {
  return {
    name: `allow-vnet-${index}`,
    properties: {
      protocol: 'Tcp',
      sourceAddressPrefix: 'VirtualNetwork',
      sourcePortRange: '*',
      destinationAddressPrefix: '*',
      destinationPortRange: String(8000 + index),
      access: 'Allow',
      priority: 200 + index * 10,
      direction: 'Inbound',
    },
  };
}

export function generateEstate(spec: EstateSpec): Scenario {
  const random = seededRandom(spec.seed);
  const subscriptions =
    typeof spec.subscriptions === 'number'
      ? Array.from({ length: Math.max(1, spec.subscriptions) }, () => guid(random))
      : spec.subscriptions;
  const groups = Math.max(1, spec.resourceGroups ?? 4);
  const rulesPerNsg = Math.max(0, spec.rulesPerNsg ?? 3);
  const prefix = `dw${(spec.seed >>> 0).toString(36).slice(0, 6)}`;
  const resources: ScenarioResource[] = [];
  const drifted: string[] = [];
  const place = (index: number): [string, string] => {
    const subscription = subscriptions[index % subscriptions.length] ?? '';
    return [subscription, `rg-app-${Math.floor(index / subscriptions.length) % groups}`];
  };

  for (let i = 0; i < spec.storageAccounts; i++) {
    const [subscription, group] = place(i);
    const name = `${prefix}st${i.toString().padStart(6, '0')}`.slice(0, 24);
    const id = storageAccountId(subscription, group, name);
    const drift = random() < spec.driftRatio;
    const properties = drift
      ? {
          ...COMPLIANT_STORAGE,
          allowBlobPublicAccess: undefined,
          ...STORAGE_DRIFTS[Math.floor(random() * STORAGE_DRIFTS.length)],
        }
      : { ...COMPLIANT_STORAGE };
    if (drift) drifted.push(id);
    resources.push({
      id,
      location: 'eastus',
      sku: { name: 'Standard_LRS' },
      kind: 'StorageV2',
      tags: { environment: 'bench', 'data-classification': random() < 0.3 ? 'phi' : 'internal' },
      properties: JSON.parse(JSON.stringify(properties)) as Record<string, unknown>,
    });
  }

  for (let i = 0; i < spec.nsgs; i++) {
    const [subscription, group] = place(i);
    const id = nsgId(subscription, group, `nsg-${prefix}-${i.toString().padStart(6, '0')}`);
    const securityRules = Array.from({ length: rulesPerNsg }, (_, index) => compliantRule(index));
    if (random() < spec.driftRatio) {
      const offending = OFFENDING_RULES[Math.floor(random() * OFFENDING_RULES.length)] ?? OFFENDING_RULES[0];
      if (offending) {
        securityRules.push({
          name: offending.name,
          properties: {
            protocol: 'Tcp',
            sourceAddressPrefix: offending.source,
            sourcePortRange: '*',
            destinationAddressPrefix: '*',
            destinationPortRange: offending.port,
            access: 'Allow',
            priority: 100,
            direction: 'Inbound',
          },
        });
      }
      drifted.push(id);
    }
    resources.push({ id, location: 'eastus', tags: { environment: 'bench' }, properties: { securityRules } });
  }
  return { subscriptions, resources, drifted };
}
