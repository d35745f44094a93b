import { describe, expect, it } from 'vitest';
import { parseArmParameters, readArmTemplate, TemplateError } from '../../../lib/iac/arm-template.js';
import { evaluateIacResources } from '../../../lib/iac/evaluate-iac.js';
import type { IacFinding } from '../../../lib/iac/types.js';
import { readFixture, verdicts } from './helpers.js';

const scope = { subscriptionId: '5f1c6a3e-2f0a-4c39-9a55-0f1d1c0b7e21', resourceGroup: 'rg-portal' };
const RG = `/subscriptions/${scope.subscriptionId}/resourceGroups/rg-portal`;

function evaluateTemplate(name: string, parametersFile?: string) {
  const parameters = parametersFile
    ? parseArmParameters(readFixture(parametersFile), parametersFile)
    : undefined;
  const read = readArmTemplate(readFixture(name), { parameters, scope });
  return { read, findings: evaluateIacResources(read.resources) };
}

function one(findings: IacFinding[], controlId: string, path: string, ruleName?: string): IacFinding {
  const found = findings.filter(
    (finding) =>
      finding.controlId === controlId && finding.source.path === path && finding.ruleName === ruleName,
  );
  expect(found, `${controlId} ${path} ${ruleName ?? ''}`).toHaveLength(1);
  return found[0] as IacFinding;
}

describe('ARM template (resources as an array)', () => {
  it('without parameter values: the verdicts that depend on them are unknown, naming the expression', () => {
    const { findings } = evaluateTemplate('arm/storage-and-nsg.template.json');
    expect(verdicts(findings)).toEqual([
      'unknown STG-PUBLIC-BLOB resources[0]',
      'fail STG-CONTAINER-PUBLIC resources[1]',
      'unknown NSG-MGMT-PORT resources[2]/allow-ssh-admin',
      'fail NSG-OPEN-INBOUND resources[2]/allow-https',
      'fail NSG-MGMT-PORT resources[3]/allow-anything',
      'fail NSG-OPEN-INBOUND resources[3]/allow-anything',
    ]);
    const blob = one(findings, 'STG-PUBLIC-BLOB', 'resources[0]');
    expect(blob.message).toContain("[parameters('allowBlobPublicAccess')]");
    expect(blob.message).toContain('has no value');
    expect(blob.remediation).toBeUndefined();
    const ssh = one(findings, 'NSG-MGMT-PORT', 'resources[2]', 'allow-ssh-admin');
    expect(ssh.message).toContain("[parameters('adminSourcePrefix')]");
    // Defaults are used: TLS comes from the parameter's defaultValue.
    expect(one(findings, 'STG-MIN-TLS', 'resources[0]').status).toBe('pass');
  });

  it('with the parameters file the same template is fully decided', () => {
    const { findings } = evaluateTemplate(
      'arm/storage-and-nsg.template.json',
      'arm/storage-and-nsg.parameters.json',
    );
    expect(verdicts(findings)).toEqual([
      'fail STG-CONTAINER-PUBLIC resources[1]',
      'fail NSG-OPEN-INBOUND resources[2]/allow-https',
      'fail NSG-MGMT-PORT resources[3]/allow-anything',
      'fail NSG-OPEN-INBOUND resources[3]/allow-anything',
    ]);
    expect(one(findings, 'STG-PUBLIC-BLOB', 'resources[0]').status).toBe('pass');
    expect(one(findings, 'NSG-MGMT-PORT', 'resources[2]').status).toBe('pass');
  });

  it('builds ARM ids from the scope, including child names "nsg/rule" and "account/default/container"', () => {
    const { findings } = evaluateTemplate('arm/storage-and-nsg.template.json');
    expect(one(findings, 'STG-CONTAINER-PUBLIC', 'resources[1]').resourceId).toBe(
      `${RG}/providers/Microsoft.Storage/storageAccounts/stpatientportal/blobServices/default/containers/logs`,
    );
    const rule = one(findings, 'NSG-MGMT-PORT', 'resources[3]', 'allow-anything');
    expect(rule.resourceId).toBe(
      `${RG}/providers/Microsoft.Network/networkSecurityGroups/nsg-portal-web/securityRules/allow-anything`,
    );
    expect(rule.resourceType).toBe('Microsoft.Network/networkSecurityGroups/securityRules');
    expect(rule.remediation).toEqual({ kind: 'nsg-rule-deny', ruleName: 'allow-anything' });
  });

  it('an inline rule finding points at the rule in the template; others at the resource', () => {
    const { findings } = evaluateTemplate('arm/storage-and-nsg.template.json');
    expect(one(findings, 'NSG-OPEN-INBOUND', 'resources[2]', 'allow-https').jsonPath).toEqual([
      'resources',
      2,
      'properties',
      'securityRules',
      0,
    ]);
    expect(one(findings, 'STG-MIN-TLS', 'resources[0]').jsonPath).toEqual(['resources', 0]);
  });

  it('exceptions apply at review time as at runtime (scope = the ids the template deploys)', () => {
    const read = readArmTemplate(readFixture('arm/storage-and-nsg.template.json'), { scope });
    const findings = evaluateIacResources(read.resources, {
      now: new Date('2026-06-01T00:00:00Z'),
      exceptions: [
        {
          id: 'EXC-WEB-443',
          controlId: 'NSG-OPEN-INBOUND',
          scope: `${RG}/providers/Microsoft.Network/networkSecurityGroups/nsg-portal-web`,
          ruleName: 'allow-https',
          justification: 'public web front end',
          ticket: 'CHG-1',
          approvedBy: 'ciso@example.com',
          approvedOn: '2026-01-01T00:00:00Z',
          expiresOn: '2027-01-01T00:00:00Z',
        },
      ],
    });
    const https = one(findings, 'NSG-OPEN-INBOUND', 'resources[2]', 'allow-https');
    expect(https.status).toBe('exempt');
    expect(https.exceptionId).toBe('EXC-WEB-443');
  });
});

describe('ARM template (languageVersion 2.0, symbolic names)', () => {
  it('reads symbolic resources, copy loops, property loops, child rules and modules; skips existing', () => {
    const { read, findings } = evaluateTemplate('arm/symbolic-v2.template.json');
    expect(
      read.resources.map((resource) => `${resource.source.path}${resource.source.copyIndex ?? ''}`),
    ).toEqual([
      'resources.nsg',
      'resources.monitoringRule',
      'resources.envStorage0',
      'resources.envStorage1',
      'resources.envStorage2',
      'resources.logs.properties.template.resources.account',
    ]);
    expect(verdicts(findings)).toEqual([
      'fail NSG-OPEN-INBOUND resources.nsg/allow-https',
      'unknown NSG-MGMT-PORT resources.monitoringRule/allow-monitoring',
      'unknown NSG-OPEN-INBOUND resources.monitoringRule/allow-monitoring',
      'fail STG-MIN-TLS resources.envStorage#0',
      'fail STG-MIN-TLS resources.envStorage#1',
      'fail STG-PUBLIC-BLOB resources.logs.properties.template.resources.account',
    ]);
    // The property copy produced both rules from the parameter array; the RDP one is private.
    const nsg = read.resources[0]?.raw as { properties: { securityRules: { name: string }[] } };
    expect(nsg.properties.securityRules.map((rule) => rule.name)).toEqual([
      'allow-https',
      'allow-rdp-bastion',
    ]);
    // copyIndex() picked each environment; the unknown uniqueString() part of the name stays visible.
    expect(read.resources[4]?.raw.id).toBe(
      `${RG}/providers/Microsoft.Storage/storageAccounts/{variables('prefix')}prod`,
    );
    // The module's inner parameters came from the outer template (tls) and the module's default (publicBlobs).
    expect(read.resources[5]?.raw.properties).toEqual({
      allowBlobPublicAccess: true,
      minimumTlsVersion: 'TLS1_2',
    });
  });
});

describe('ARM template (nested child resources, nested copy loops, condition)', () => {
  it('judges nested children with relative and full types, and leaves out a false condition', () => {
    const { read, findings } = evaluateTemplate('arm/nested-and-copy.template.json');
    expect(read.resources.map((resource) => resource.raw.id)).not.toContainEqual(
      expect.stringContaining('debug-allow-all'),
    );
    expect(verdicts(findings)).toEqual([
      'fail NSG-MGMT-PORT resources[0].resources[0]/allow-winrm-any',
      'fail NSG-OPEN-INBOUND resources[1]#0/allow-app-443',
      'fail NSG-OPEN-INBOUND resources[1]#0/allow-app-8443',
      'fail STG-MIN-TLS resources[2]',
      'fail STG-CMK-PHI resources[2]',
      'fail STG-CONTAINER-PUBLIC resources[2].resources[1]',
    ]);
    expect(read.resources[7]?.raw.id).toBe(
      `${RG}/providers/Microsoft.Storage/storageAccounts/stbilling/blobServices/default/containers/public-assets`,
    );
    // PHI tag value "PHI" matches case-insensitively; the firewall from the variable restricts the network.
    expect(one(findings, 'STG-NETWORK-PHI', 'resources[2]').status).toBe('pass');
  });
});

describe('unknown values', () => {
  const template = (properties: unknown, parameters: unknown = {}) => ({
    $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
    contentVersion: '1.0.0.0',
    parameters,
    resources: [{ type: 'Microsoft.Storage/storageAccounts', name: 'st1', properties }],
  });
  const statuses = (json: unknown) =>
    Object.fromEntries(
      evaluateIacResources(readArmTemplate(json, { scope }).resources).map((f) => [f.controlId, f.status]),
    );

  it('an unknown no control reads changes nothing; one a control reads makes only that control unknown', () => {
    const result = statuses(
      template(
        {
          allowBlobPublicAccess: false,
          minimumTlsVersion: "[parameters('tls')]",
          accessTier: "[parameters('tier')]",
        },
        { tls: { type: 'string' }, tier: { type: 'string' } },
      ),
    );
    expect(result['STG-MIN-TLS']).toBe('unknown');
    expect(result['STG-PUBLIC-BLOB']).toBe('pass');
    expect(result['STG-HTTPS-ONLY']).toBe('pass');
  });

  it('a verdict that holds whatever the value is stays decided', () => {
    // STG-PUBLIC-BLOB fails whether publicNetworkAccess is Enabled or Disabled.
    const result = statuses(
      template(
        { allowBlobPublicAccess: true, publicNetworkAccess: "[parameters('pna')]" },
        { pna: { type: 'string' } },
      ),
    );
    expect(result['STG-PUBLIC-BLOB']).toBe('fail');
  });

  it('properties that are wholly unknown make every storage control unknown that could fail', () => {
    const result = statuses(template("[parameters('props')]", { props: { type: 'object' } }));
    expect(result['STG-PUBLIC-BLOB']).toBe('unknown');
    expect(result['STG-HTTPS-ONLY']).toBe('unknown');
    expect(result['STG-MIN-TLS']).toBe('unknown');
  });

  it('past 256 combinations every control on the resource is unknown, not guessed', () => {
    const tags = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`t${i}`, `[parameters('t${i}')]`]));
    const parameters = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`t${i}`, { type: 'string' }]));
    const json = template({ allowBlobPublicAccess: false }, parameters);
    (json.resources[0] as Record<string, unknown>).tags = tags;
    const findings = evaluateIacResources(readArmTemplate(json, { scope }).resources);
    // one finding per storage-account control (7 since LAW/DIAG/KV controls), every one unknown
    expect(findings.map((f) => f.status)).toEqual(Array(7).fill('unknown'));
    expect(findings[0]?.message).toContain("tags.t0 = [parameters('t0')]");
  });

  it('an unknown copy count judges one instance, with copyIndex() unknown', () => {
    const json = {
      ...template({}),
      parameters: { names: { type: 'array' } },
      resources: [
        {
          copy: { name: 'loop', count: "[length(parameters('names'))]" },
          type: 'Microsoft.Storage/storageAccounts/blobServices/containers',
          name: "[format('st1/default/c{0}', copyIndex())]",
          properties: { publicAccess: "[if(equals(copyIndex(), 0), 'Blob', 'None')]" },
        },
      ],
    };
    const findings = evaluateIacResources(readArmTemplate(json, { scope }).resources);
    expect(findings.map((f) => f.status)).toEqual(['unknown']);
    expect(findings[0]?.message).toContain('copy count unknown');
  });

  it('rejects what is not a template, and a parameters file without parameters', () => {
    expect(() => readArmTemplate({ foo: 1 }, { scope })).toThrow(TemplateError);
    expect(() => parseArmParameters({ values: {} }, 'p.json')).toThrow(/expected an ARM parameters file/);
    // A Key Vault reference has no value at review time.
    const values = parseArmParameters(
      { parameters: { secret: { reference: { keyVault: { id: 'x' } } } } },
      'p',
    );
    expect(String((values.get('secret') as { reason: string }).reason)).toContain('Key Vault reference');
  });

  it('refuses a template whose copy loops expand past the value budget', () => {
    const json = {
      ...template({}),
      resources: [
        {
          copy: { name: 'outer', count: 800 },
          type: 'Microsoft.Network/networkSecurityGroups',
          name: "[format('nsg-{0}', copyIndex())]",
          properties: { copy: [{ name: 'securityRules', count: 800, input: { name: 'r', properties: {} } }] },
        },
      ],
    };
    expect(() => readArmTemplate(json, { scope, maxValues: 100_000 })).toThrow(/expands to too many values/);
  });

  it('a hostile __proto__ key stays data', () => {
    const json = template(JSON.parse('{"__proto__": {"polluted": true}, "allowBlobPublicAccess": false}'));
    const read = readArmTemplate(json, { scope });
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    expect(Object.hasOwn(read.resources[0]?.raw.properties as object, '__proto__')).toBe(true);
  });
});

describe('ARM template: Log Analytics tables', () => {
  it('a table resource keeping 30 days in total fails its workspace (LAW-RETENTION), named in the finding', () => {
    const { findings } = evaluateTemplate('arm/workspace-tables.template.json');
    const law = one(findings, 'LAW-RETENTION', 'resources[0]');
    expect(law.status).toBe('fail');
    expect(law.message).toMatch(/StorageBlobLogs \(30 days\)/);
    expect(law.message).not.toMatch(/SigninLogs/);
    expect(law.remediation).toBeUndefined();
    // tables are judged with their workspace, never on their own
    expect(findings.filter((f) => f.source.path !== 'resources[0]')).toEqual([]);
  });
});
