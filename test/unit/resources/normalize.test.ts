import { describe, expect, it } from 'vitest';
import {
  InvalidResourceError,
  normalizeResource,
  parseResourceDocument,
} from '../../../lib/resources/normalize.js';

const SA = '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct';
const NSG = '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg1';

describe('normalizeResource', () => {
  it('reads the ARM REST storage shape', () => {
    const resource = normalizeResource({
      id: SA,
      type: 'Microsoft.Storage/storageAccounts',
      tags: { env: 'prod' },
      properties: {
        allowBlobPublicAccess: false,
        supportsHttpsTrafficOnly: true,
        minimumTlsVersion: 'TLS1_2',
        encryption: { keySource: 'Microsoft.Keyvault' },
        publicNetworkAccess: 'Disabled',
        networkAcls: { defaultAction: 'Deny' },
      },
    });
    expect(resource).toEqual({
      kind: 'storageAccount',
      id: SA,
      name: 'acct',
      tags: { env: 'prod' },
      allowBlobPublicAccess: false,
      supportsHttpsTrafficOnly: true,
      minimumTlsVersion: 'TLS1_2',
      encryptionKeySource: 'Microsoft.Keyvault',
      publicNetworkAccess: 'Disabled',
      networkDefaultAction: 'Deny',
      keyVaultUri: null,
      keyName: null,
    });
  });

  it('reads the flattened az CLI shape (enableHttpsTrafficOnly, networkRuleSet) and coerces 0/1 and strings', () => {
    const resource = normalizeResource({
      id: SA,
      type: 'MICROSOFT.STORAGE/STORAGEACCOUNTS',
      allowBlobPublicAccess: 1,
      enableHttpsTrafficOnly: 'false',
      networkRuleSet: { defaultAction: 'Allow' },
    });
    expect(resource).toMatchObject({
      kind: 'storageAccount',
      allowBlobPublicAccess: true,
      supportsHttpsTrafficOnly: false,
      minimumTlsVersion: null,
      networkDefaultAction: 'Allow',
    });
  });

  it('detects the type from the id when type is absent, and returns null for other types', () => {
    expect(normalizeResource({ id: `${SA}/`, allowBlobPublicAccess: true })?.kind).toBe('storageAccount');
    expect(
      normalizeResource({
        id: `${NSG}/securityRules/r1`,
        access: 'Allow',
        direction: 'Inbound',
        protocol: 'Tcp',
      })?.kind,
    ).toBe('securityRule');
    expect(
      normalizeResource({
        id: '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm',
        type: 'Microsoft.Compute/virtualMachines',
      }),
    ).toBeNull();
    expect(normalizeResource({ id: SA, type: 'Microsoft.Web/sites' })).toBeNull(); // explicit type wins over id shape
    expect(normalizeResource({ name: 'no id or type' })).toBeNull();
    expect(normalizeResource('a string')).toBeNull();
    expect(normalizeResource(null)).toBeNull();
    expect(normalizeResource([1, 2])).toBeNull();
  });

  it('unions single and plural source/port fields and keeps default rules apart', () => {
    const resource = normalizeResource({
      id: NSG,
      type: 'Microsoft.Network/networkSecurityGroups',
      properties: {
        securityRules: [
          {
            name: 'r1',
            properties: {
              access: 'Allow',
              direction: 'Inbound',
              protocol: 'Tcp',
              priority: 100,
              sourceAddressPrefix: '10.0.0.0/8',
              sourceAddressPrefixes: ['0.0.0.0/0', '10.0.0.0/8'],
              destinationPortRange: '22',
              destinationPortRanges: ['3389'],
            },
          },
        ],
        defaultSecurityRules: [
          { name: 'DenyAllInBound', properties: { access: 'Deny', direction: 'Inbound', protocol: '*' } },
        ],
      },
    });
    if (resource?.kind !== 'networkSecurityGroup') throw new Error('expected an NSG');
    expect(resource.securityRules[0]).toMatchObject({
      name: 'r1',
      priority: 100,
      sourceAddressPrefixes: ['10.0.0.0/8', '0.0.0.0/0'],
      destinationPortRanges: ['22', '3389'],
      isDefault: false,
    });
    expect(resource.defaultSecurityRules[0]?.isDefault).toBe(true);
  });

  it('derives parents for a container and a single rule', () => {
    const container = normalizeResource({
      id: `${SA}/blobServices/default/containers/c1`,
      properties: { publicAccess: 'blob' },
    });
    expect(container).toMatchObject({
      kind: 'blobContainer',
      name: 'c1',
      storageAccountId: SA,
      publicAccess: 'Blob',
    });
    const rule = normalizeResource({
      id: `${NSG}/securityRules/r2`,
      type: 'Microsoft.Network/networkSecurityGroups/securityRules',
      access: 'Allow',
      direction: 'Inbound',
      protocol: '*',
    });
    expect(rule).toMatchObject({
      kind: 'securityRule',
      name: 'r2',
      networkSecurityGroupId: NSG,
      rule: { id: `${NSG}/securityRules/r2` },
    });
  });

  it('keeps hostile keys inert: no prototype pollution, no crash', () => {
    const json = JSON.parse(
      `{"id":"${SA}","type":"Microsoft.Storage/storageAccounts","__proto__":{"allowBlobPublicAccess":false,"polluted":true},` +
        `"tags":{"__proto__":"x","constructor":"y"},"properties":{"__proto__":{"allowBlobPublicAccess":false}}}`,
    );
    const resource = normalizeResource(json);
    expect(resource).toMatchObject({ allowBlobPublicAccess: null });
    if (resource?.kind !== 'storageAccount') throw new Error('expected a storage account');
    expect(Object.keys(resource.tags).sort()).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(resource.tags)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    [
      { id: SA, type: 'Microsoft.Storage/storageAccounts', properties: { allowBlobPublicAccess: 'maybe' } },
      /allowBlobPublicAccess must be true or false/,
    ],
    [
      { id: SA, type: 'Microsoft.Storage/storageAccounts', properties: { minimumTlsVersion: 12 } },
      /minimumTlsVersion must be a string/,
    ],
    [
      { id: SA, type: 'Microsoft.Storage/storageAccounts', tags: { a: { b: 1 } } },
      /tag "a" must be a string/,
    ],
    [{ type: 'Microsoft.Storage/storageAccounts' }, /id is missing/],
    [{ id: 'x'.repeat(100_000), type: 'Microsoft.Storage/storageAccounts' }, /too long/],
    [
      { id: NSG, type: 'Microsoft.Network/networkSecurityGroups', securityRules: 'nope' },
      /securityRules must be an array/,
    ],
    [
      {
        id: NSG,
        type: 'Microsoft.Network/networkSecurityGroups',
        securityRules: [
          {
            name: 'r',
            access: 'Allow',
            direction: 'Inbound',
            protocol: 'Tcp',
            destinationPortRange: '99999',
          },
        ],
      },
      /port range "99999"/,
    ],
    [
      {
        id: NSG,
        type: 'Microsoft.Network/networkSecurityGroups',
        securityRules: [
          {
            name: 'r',
            access: 'Allow',
            direction: 'Inbound',
            protocol: 'Tcp',
            sourceAddressPrefix: '1.2.3.4/99',
          },
        ],
      },
      /source "1.2.3.4\/99"/,
    ],
    [
      { id: NSG, type: 'Microsoft.Network/networkSecurityGroups', securityRules: [{ access: 'Allow' }] },
      /security rule name is missing/,
    ],
    [
      {
        id: `${SA}/containers/x`,
        type: 'Microsoft.Storage/storageAccounts/blobServices/containers',
        publicAccess: 'Blob',
      },
      /does not name its parent/,
    ],
  ])('throws a one-line InvalidResourceError for unusable known resources (%#)', (json, pattern) => {
    let thrown: unknown;
    try {
      normalizeResource(json);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidResourceError);
    const message = (thrown as Error).message;
    expect(message).toMatch(pattern);
    expect(message).not.toContain('\n');
    expect(message.length).toBeLessThan(300);
  });
});

describe('parseResourceDocument', () => {
  const account = { id: SA, type: 'Microsoft.Storage/storageAccounts', properties: {} };
  const vm = {
    id: '/subscriptions/s1/providers/Microsoft.Compute/virtualMachines/vm',
    type: 'Microsoft.Compute/virtualMachines',
  };

  it('accepts one resource, an array and an ARM list response', () => {
    expect(parseResourceDocument(account).map((item) => item.resource?.kind)).toEqual(['storageAccount']);
    expect(parseResourceDocument([account, vm]).map((item) => item.resource?.kind ?? null)).toEqual([
      'storageAccount',
      null,
    ]);
    expect(parseResourceDocument({ value: [vm, account], nextLink: null }).map((item) => item.index)).toEqual(
      [0, 1],
    );
    expect(parseResourceDocument([])).toEqual([]);
  });

  it.each([[42], ['text'], [null], [true]])('rejects a non-object document (%s)', (json) => {
    expect(() => parseResourceDocument(json)).toThrow(InvalidResourceError);
  });

  it('names the offending item', () => {
    expect(() => parseResourceDocument([account, 7])).toThrow(/item 1 is not a JSON object/);
    expect(() =>
      parseResourceDocument([vm, { ...account, properties: { allowBlobPublicAccess: [] } }]),
    ).toThrow(/^item 1 \(".*acct"\): allowBlobPublicAccess/);
  });
});
