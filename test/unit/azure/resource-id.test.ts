import { describe, expect, it } from 'vitest';
import { idShapeOf, parseResourceId } from '../../../lib/azure/resource-id.js';

const SUB = '/subscriptions/00000000-0000-4000-8000-000000000001';
const RG = `${SUB}/resourceGroups/rg`;

describe('parseResourceId (strict)', () => {
  it('parses the four kinds into Azure casing, names as given', () => {
    const container = parseResourceId(
      `${SUB}/resourcegroups/rg/providers/microsoft.storage/STORAGEACCOUNTS/acct/BLOBSERVICES/DEFAULT/containers/c-1`,
    );
    expect(container).toEqual({
      ok: true,
      id: {
        target: 'blobContainer',
        subscriptionId: '00000000-0000-4000-8000-000000000001',
        resourceGroup: 'rg',
        parentName: 'acct',
        childName: 'c-1',
        canonicalId: `${RG}/providers/Microsoft.Storage/storageAccounts/acct/blobServices/default/containers/c-1`,
      },
    });
    const rule = parseResourceId(
      `${RG}/providers/Microsoft.Network/networkSecurityGroups/Nsg_1/securityRules/R1`,
    );
    expect(rule.ok && rule.id).toMatchObject({
      target: 'securityRule',
      parentName: 'Nsg_1',
      childName: 'R1',
    });
    expect(
      parseResourceId(`${RG}/providers/Microsoft.Storage/storageAccounts/acct`).ok &&
        parseResourceId(`${RG}/providers/Microsoft.Network/networkSecurityGroups/n`),
    ).toMatchObject({ ok: true, id: { target: 'networkSecurityGroup', childName: null } });
  });

  it.each([
    [`${RG}/providers/Microsoft.Storage/storageAccounts/Bad!`, 'storage account name is not valid'],
    // the account name is checked even under a child type we do not handle
    [`${RG}/providers/Microsoft.Storage/storageAccounts/Bad!/fileServices/default`, 'storage account name'],
    [
      `${RG}/providers/Microsoft.Storage/storageAccounts/acct/blobServices/default/containers/A`,
      'container name',
    ],
    [`${RG}/providers/Microsoft.Network/networkSecurityGroups/n/securityRules/-r`, 'security rule name'],
    [`${RG}/providers/Microsoft.Network/networkSecurityGroups/-n`, 'network security group name'],
  ])('refuses %s', (id, reason) => {
    const result = parseResourceId(id);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });

  it.each([
    `${RG}/providers/Microsoft.Storage/storageAccounts/acct/fileServices/default`,
    `${RG}/providers/Microsoft.Storage/storageAccounts/acct/blobServices/other/containers/c1`,
    `${RG}/providers/Microsoft.Network/networkSecurityGroups/n/defaultSecurityRules/DenyAllInBound`,
    `${RG}/providers/Microsoft.Compute/virtualMachines/vm`,
    RG,
  ])('leaves other well-formed ids alone: %s', (id) => {
    expect(parseResourceId(id)).toEqual({ ok: true, id: null });
  });
});

describe('idShapeOf (structure only)', () => {
  it('names the kind, the top resource and the resource group of loosely spelled ids', () => {
    expect(
      idShapeOf(
        '/subscriptions/s1/resourceGroups/rg/providers/microsoft.storage/storageaccounts/a/blobServices/x/containers/c/',
      ),
    ).toEqual({
      kind: 'blobContainer',
      topId: '/subscriptions/s1/resourceGroups/rg/providers/microsoft.storage/storageaccounts/a',
      resourceGroup: 'rg',
      name: 'c',
    });
    expect(
      idShapeOf('/providers/Microsoft.Network/networkSecurityGroups/n/defaultSecurityRules/d'),
    ).toMatchObject({
      kind: 'defaultSecurityRule',
      resourceGroup: null,
    });
    expect(
      idShapeOf(
        '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a/fileServices/default',
      ),
    ).toBeNull();
    expect(idShapeOf('no id at all')).toBeNull();
  });
});
