import { evaluateResource } from '../lib/evaluate.js';
import { normalizeResource } from '../lib/resources/normalize.js';

/**
 * Evaluation throughput on a generated estate: 10,000 NSGs x 20 rules (ARM and az CLI shapes,
 * a realistic mix of sources and ports, a few offenders) + 10,000 storage accounts.
 * Measures normalise + evaluate, not JSON parsing. Goal: the whole estate well under a second.
 */
export const name = 'evaluate';

const NSGS = 10_000;
const RULES = 20;
const ACCOUNTS = 10_000;
const SUB = '/subscriptions/00000000-0000-4000-8000-000000000001';

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
    encryption: { keySource: i % 3 === 0 ? 'Microsoft.Keyvault' : 'Microsoft.Storage' },
    publicNetworkAccess: 'Enabled',
    networkAcls: { defaultAction: i % 2 === 0 ? 'Deny' : 'Allow' },
  };
  const tags = i % 4 === 0 ? { 'data-classification': 'phi' } : {};
  return { id, name: `st${i}`, type: 'Microsoft.Storage/storageAccounts', tags, properties: props };
}

function evaluateAll(estate: unknown[]): { findings: number; fails: number } {
  let findings = 0;
  let fails = 0;
  for (const raw of estate) {
    const resource = normalizeResource(raw);
    if (!resource) continue;
    for (const finding of evaluateResource(resource)) {
      findings++;
      if (finding.status === 'fail') fails++;
    }
  }
  return { findings, fails };
}

export async function run(): Promise<void> {
  const nsgs = Array.from({ length: NSGS }, (_, i) => nsg(i));
  const accounts = Array.from({ length: ACCOUNTS }, (_, i) => account(i));
  // JSON round trip: fresh, plain objects as a parser would produce (no shared literals).
  const estate = JSON.parse(JSON.stringify([...nsgs, ...accounts])) as unknown[];
  evaluateAll(JSON.parse(JSON.stringify(estate.slice(0, 1000)))); // warm up the JIT

  const runs: number[] = [];
  let result = { findings: 0, fails: 0 };
  for (let i = 0; i < 3; i++) {
    const copy = i === 0 ? estate : (JSON.parse(JSON.stringify(estate)) as unknown[]); // no cross-run caching
    const start = process.hrtime.bigint();
    result = evaluateAll(copy);
    runs.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const best = Math.min(...runs);
  const resources = NSGS + ACCOUNTS;
  const rules = NSGS * RULES;
  console.log(`estate: ${NSGS} NSGs x ${RULES} rules (${rules} rules) + ${ACCOUNTS} storage accounts`);
  console.log(`findings: ${result.findings} (${result.fails} fail)`);
  console.log(
    `total (normalise + evaluate): best ${best.toFixed(0)} ms; runs ${runs.map((ms) => ms.toFixed(0)).join(' / ')} ms`,
  );
  console.log(`rules/s: ${Math.round(rules / (best / 1000)).toLocaleString('en-US')}`);
  console.log(`resources/s: ${Math.round(resources / (best / 1000)).toLocaleString('en-US')}`);
  console.log(`goal (< 1000 ms): ${best < 1000 ? 'met' : 'NOT met'}`);
}
