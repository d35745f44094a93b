import { describe, expect, it } from 'vitest';
import { evaluateIacResources } from '../../../lib/iac/evaluate-iac.js';
import { isTerraformPlan, PlanError, readTerraformPlan } from '../../../lib/iac/terraform.js';
import { readFixture, verdicts } from './helpers.js';

const scope = { subscriptionId: '5f1c6a3e-2f0a-4c39-9a55-0f1d1c0b7e21', resourceGroup: '{resourceGroup}' };
const SUB = `/subscriptions/${scope.subscriptionId}`;

describe('Terraform plan (azurerm 4.x names)', () => {
  const plan = readFixture('terraform/plan.json');
  const read = readTerraformPlan(plan, scope);
  const findings = evaluateIacResources(read.resources);

  it('judges create, update and no-op changes; skips delete, data sources and types no control judges', () => {
    expect(read.resources.map((resource) => resource.source.path)).toEqual([
      'azurerm_storage_account.phi',
      'azurerm_storage_account.legacy',
      'module.telemetry.azurerm_storage_account.this["metrics"]',
      'azurerm_storage_container.assets',
      'azurerm_storage_container.reports',
      'azurerm_network_security_group.web',
      'azurerm_network_security_rule.rdp_vendor',
    ]);
    expect(read.resources.map((resource) => resource.raw.id)).not.toContainEqual(
      expect.stringContaining('allow-telnet'),
    );
  });

  it('maps azurerm attributes to the same controls, with provider defaults and after-apply unknowns', () => {
    expect(verdicts(findings)).toEqual([
      'fail STG-CMK-PHI azurerm_storage_account.phi',
      'fail STG-NETWORK-PHI azurerm_storage_account.phi',
      // allow_nested_items_to_be_public unset: the provider default (true) applies.
      'fail STG-PUBLIC-BLOB azurerm_storage_account.legacy',
      'fail STG-HTTPS-ONLY azurerm_storage_account.legacy',
      'unknown STG-MIN-TLS module.telemetry.azurerm_storage_account.this["metrics"]',
      'fail STG-CONTAINER-PUBLIC azurerm_storage_container.assets',
      'unknown NSG-MGMT-PORT azurerm_network_security_group.web/allow-ssh-bastion',
      'fail NSG-OPEN-INBOUND azurerm_network_security_group.web/allow-https',
      'fail NSG-MGMT-PORT azurerm_network_security_rule.rdp_vendor/allow-rdp-vendor',
    ]);
    const tls = findings.find(
      (finding) => finding.status === 'unknown' && finding.controlId === 'STG-MIN-TLS',
    );
    expect(tls?.message).toContain(
      'module.telemetry.azurerm_storage_account.this["metrics"].min_tls_version',
    );
    expect(tls?.message).toContain('known only after apply');
    const bastion = findings.find((finding) => finding.ruleName === 'allow-ssh-bastion');
    expect(bastion?.message).toContain(
      'azurerm_network_security_group.web.security_rule[2].source_address_prefix',
    );
  });

  it('uses real ids for existing resources and builds ARM ids for new ones', () => {
    const byPath = new Map(read.resources.map((resource) => [resource.source.path, String(resource.raw.id)]));
    expect(byPath.get('azurerm_storage_account.phi')).toBe(
      `${SUB}/resourceGroups/rg-records/providers/Microsoft.Storage/storageAccounts/stphirecords`,
    );
    expect(byPath.get('azurerm_network_security_group.web')).toBe(
      `${SUB}/resourceGroups/rg-web/providers/Microsoft.Network/networkSecurityGroups/nsg-web`,
    );
    expect(byPath.get('azurerm_network_security_rule.rdp_vendor')).toBe(
      `${SUB}/resourceGroups/rg-web/providers/Microsoft.Network/networkSecurityGroups/nsg-web/securityRules/allow-rdp-vendor`,
    );
    // A 3.x container names its account; the account's id is taken from the plan.
    expect(byPath.get('azurerm_storage_container.reports')).toBe(
      `${SUB}/resourceGroups/rg-legacy/providers/Microsoft.Storage/storageAccounts/stlegacyreports/blobServices/default/containers/reports`,
    );
  });

  it('inline security_rule findings point at the rule in the plan', () => {
    const https = findings.find((finding) => finding.ruleName === 'allow-https');
    expect(https?.jsonPath).toEqual(['resource_changes', 6, 'change', 'after', 'security_rule', 0]);
    // source_address_prefixes is read as a list: a /24 is narrower than the internet threshold.
    expect(findings.some((finding) => finding.ruleName === 'allow-admin-office')).toBe(false);
  });

  it('reads planned_values when the plan has no resource_changes', () => {
    const { resource_changes: _changes, ...valuesOnly } = plan as Record<string, unknown>;
    const planned = readTerraformPlan(valuesOnly, scope);
    expect(planned.resources.map((resource) => resource.source.jsonPath)).toEqual([
      ['planned_values', 'root_module', 'resources', 0],
    ]);
    expect(verdicts(evaluateIacResources(planned.resources))).toEqual([
      'fail STG-CMK-PHI azurerm_storage_account.phi',
      'fail STG-NETWORK-PHI azurerm_storage_account.phi',
    ]);
  });

  it('is recognised only with format_version and changes or planned values', () => {
    expect(isTerraformPlan(plan)).toBe(true);
    expect(isTerraformPlan({ format_version: '1.2' })).toBe(false);
    expect(() => readTerraformPlan({ resources: [] }, scope)).toThrow(PlanError);
  });
});

describe('Terraform plan (azurerm 2.x names)', () => {
  it('applies the old defaults: blob public access false, TLS 1.0; https true', () => {
    const read = readTerraformPlan(readFixture('terraform/plan-azurerm-v2.json'), scope);
    const findings = evaluateIacResources(read.resources);
    expect(verdicts(findings)).toEqual(['fail STG-MIN-TLS azurerm_storage_account.archive']);
    expect(read.resources[0]?.raw.properties).toMatchObject({
      allowBlobPublicAccess: false,
      supportsHttpsTrafficOnly: true,
      minimumTlsVersion: 'TLS1_0',
    });
    // delete-then-create (replace) is judged by what will exist: container_access_type unset = private.
    expect(read.resources[1]?.raw.properties).toEqual({ publicAccess: 'None' });
  });
});
