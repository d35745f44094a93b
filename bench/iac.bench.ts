import { readArmTemplate } from '../lib/iac/arm-template.js';
import { evaluateIacResources } from '../lib/iac/evaluate-iac.js';
import { formatPath, lineIndex } from '../lib/iac/json-lines.js';
import { readTerraformPlan } from '../lib/iac/terraform.js';
import type { IacReadResult } from '../lib/iac/types.js';

/**
 * Review-time evaluation: a generated 5,000-resource ARM template (storage accounts, containers,
 * NSGs with 10 inline rules, top-level child rules; names and settings from parameters and
 * variables, some without values so unknowns are enumerated) and a 5,000-resource Terraform plan
 * (same mix, some values known only after apply). Measures what `driftwarden evaluate FILE` does
 * after reading the file: JSON.parse, read, evaluate, line lookup. Min and median of 5 runs.
 */
export const name = 'iac';

const RESOURCES = 5_000;
const RUNS = 5;
const scope = { subscriptionId: '00000000-0000-4000-8000-000000000001', resourceGroup: 'rg-bench' };

function armRule(i: number, j: number) {
  const open = (i + j) % 9 === 0;
  return {
    name: `rule-${j}`,
    properties: {
      priority: 100 + j,
      direction: 'Inbound',
      access: j % 7 === 0 ? 'Deny' : 'Allow',
      protocol: j % 5 === 0 ? '*' : 'Tcp',
      sourceAddressPrefix: open ? 'Internet' : j === 3 ? "[parameters('adminPrefix')]" : '10.0.0.0/8',
      sourcePortRange: '*',
      destinationAddressPrefix: '*',
      destinationPortRange: ['443', '22', '8080-8090', '3389', '*'][j % 5],
    },
  };
}

function armResource(i: number) {
  switch (i % 4) {
    case 0:
      return {
        type: 'Microsoft.Storage/storageAccounts',
        apiVersion: '2023-05-01',
        name: `[format('{0}{1}', variables('prefix'), ${i})]`,
        location: "[parameters('location')]",
        tags: i % 8 === 0 ? "[variables('phiTags')]" : {},
        properties: {
          allowBlobPublicAccess: i % 12 === 0 ? "[parameters('publicBlobs')]" : false,
          supportsHttpsTrafficOnly: true,
          minimumTlsVersion: i % 20 === 0 ? 'TLS1_0' : "[parameters('tls')]",
          encryption: { keySource: i % 16 === 0 ? 'Microsoft.Keyvault' : 'Microsoft.Storage' },
        },
      };
    case 1:
      return {
        type: 'Microsoft.Storage/storageAccounts/blobServices/containers',
        apiVersion: '2023-05-01',
        name: `[format('{0}{1}/default/c{2}', variables('prefix'), ${i - 1}, ${i})]`,
        properties: { publicAccess: i % 13 === 0 ? 'Blob' : 'None' },
      };
    case 2:
      return {
        type: 'Microsoft.Network/networkSecurityGroups',
        apiVersion: '2023-11-01',
        name: `nsg-${i}`,
        location: "[parameters('location')]",
        properties: { securityRules: Array.from({ length: 10 }, (_, j) => armRule(i, j)) },
      };
    default:
      return {
        type: 'Microsoft.Network/networkSecurityGroups/securityRules',
        apiVersion: '2023-11-01',
        name: `nsg-${i - 1}/extra-${i}`,
        properties: armRule(i, i % 10).properties,
      };
  }
}

function template() {
  return {
    $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
    contentVersion: '1.0.0.0',
    parameters: {
      location: { type: 'string', defaultValue: 'westeurope' },
      tls: { type: 'string', defaultValue: 'TLS1_2' },
      publicBlobs: { type: 'bool' },
      adminPrefix: { type: 'string' },
    },
    variables: { prefix: 'stbench', phiTags: { 'data-classification': 'phi' } },
    resources: Array.from({ length: RESOURCES }, (_, i) => armResource(i)),
  };
}

function tfRule(i: number, j: number) {
  const open = (i + j) % 9 === 0;
  return {
    name: `rule-${j}`,
    priority: 100 + j,
    direction: 'Inbound',
    access: j % 7 === 0 ? 'Deny' : 'Allow',
    protocol: j % 5 === 0 ? '*' : 'Tcp',
    source_address_prefix: open ? 'Internet' : '10.0.0.0/8',
    source_address_prefixes: [],
    source_port_range: '*',
    destination_address_prefix: '*',
    destination_port_range: ['443', '22', '8080-8090', '3389', '*'][j % 5],
    destination_port_ranges: [],
  };
}

function tfChange(i: number) {
  const actions = i % 10 === 0 ? ['update'] : i % 10 === 1 ? ['no-op'] : ['create'];
  const base = { mode: 'managed', provider_name: 'registry.terraform.io/hashicorp/azurerm' };
  let type: string;
  let after: Record<string, unknown>;
  let afterUnknown: Record<string, unknown> = { id: true };
  switch (i % 4) {
    case 0:
      type = 'azurerm_storage_account';
      after = {
        name: `stbench${i}`,
        resource_group_name: 'rg-bench',
        allow_nested_items_to_be_public: i % 12 !== 0 ? false : null,
        https_traffic_only_enabled: true,
        min_tls_version: i % 20 === 0 ? 'TLS1_0' : 'TLS1_2',
        public_network_access_enabled: i % 3 !== 0,
        network_rules: [],
        customer_managed_key: [],
        tags: i % 8 === 0 ? { 'data-classification': 'phi' } : {},
      };
      if (i % 24 === 0) afterUnknown = { id: true, min_tls_version: true };
      break;
    case 1:
      type = 'azurerm_storage_container';
      after = {
        name: `c${i}`,
        storage_account_name: `stbench${i - 1}`,
        container_access_type: i % 13 === 0 ? 'blob' : 'private',
      };
      break;
    case 2:
      type = 'azurerm_network_security_group';
      after = {
        name: `nsg-${i}`,
        resource_group_name: 'rg-bench',
        security_rule: Array.from({ length: 10 }, (_, j) => tfRule(i, j)),
      };
      if (i % 6 === 2) afterUnknown = { id: true, security_rule: [{}, {}, { source_address_prefix: true }] };
      break;
    default:
      type = 'azurerm_network_security_rule';
      after = {
        ...tfRule(i, i % 10),
        name: `extra-${i}`,
        network_security_group_name: `nsg-${i - 1}`,
        resource_group_name: 'rg-bench',
      };
  }
  return {
    ...base,
    address: `${type}.r${i}`,
    type,
    name: `r${i}`,
    change: { actions, before: null, after, after_unknown: afterUnknown },
  };
}

function plan() {
  return {
    format_version: '1.2',
    terraform_version: '1.9.5',
    resource_changes: Array.from({ length: RESOURCES }, (_, i) => tfChange(i)),
  };
}

function measure(label: string, text: string, read: (json: unknown) => IacReadResult): void {
  const once = () => {
    const start = process.hrtime.bigint();
    const result = read(JSON.parse(text));
    const findings = evaluateIacResources(result.resources);
    const lines = lineIndex(text);
    let located = 0;
    for (const finding of findings) if (lines.has(formatPath(finding.jsonPath))) located++;
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    return { ms, findings, resources: result.resources.length, located };
  };
  once(); // warm up the JIT
  const runs = Array.from({ length: RUNS }, once);
  const times = runs.map((run) => run.ms).sort((a, b) => a - b);
  const last = runs.at(-1);
  const count = (status: string) => last?.findings.filter((finding) => finding.status === status).length ?? 0;
  console.log(
    `${label}: ${last?.resources} resources, ${(text.length / 1024 / 1024).toFixed(1)} MiB JSON -> ${last?.findings.length} findings (${count('fail')} fail, ${count('unknown')} unknown)`,
  );
  console.log(
    `  parse + read + evaluate + lines: min ${times[0]?.toFixed(0)} ms, median ${times[Math.floor(RUNS / 2)]?.toFixed(0)} ms; runs ${runs.map((run) => run.ms.toFixed(0)).join(' / ')} ms`,
  );
}

export async function run(): Promise<void> {
  measure('ARM template', JSON.stringify(template(), null, 2), (json) => readArmTemplate(json, { scope }));
  measure('Terraform plan', JSON.stringify(plan(), null, 2), (json) => readTerraformPlan(json, scope));
}
