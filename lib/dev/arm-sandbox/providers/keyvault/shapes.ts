/**
 * Microsoft.KeyVault vaults and keys: the JSON the sandbox returns, and what the Key Vault RP
 * rejects where driftwarden can hit it (soft delete and purge protection cannot be switched off
 * once on; HSM-protected keys need a Premium vault).
 */
import { randomUUID } from 'node:crypto';
import { badRequest, clone, isRecord, mergePatch } from '../../arm.js';
import type { ArmResource } from '../../types.js';
import { propsOf, type ResourceInput, tagsOf } from '../input.js';

export const VAULT_TYPE = 'Microsoft.KeyVault/vaults';
export const KEY_TYPE = 'Microsoft.KeyVault/vaults/keys';
const KEY_TYPES = ['RSA', 'RSA-HSM', 'EC', 'EC-HSM', 'oct-HSM'];

export function validateVaultName(name: string): void {
  if (!/^(?=.{3,24}$)[A-Za-z](?:[A-Za-z0-9]|-(?!-))*[A-Za-z0-9]$/.test(name)) {
    throw badRequest(
      'VaultNameNotValid',
      `The vault name '${name}' is invalid: 3-24 letters, digits and single hyphens, starting with a letter.`,
    );
  }
}

/** What ARM refuses on an update: turning soft delete or purge protection off. */
function checkIrreversible(before: Record<string, unknown>, after: Record<string, unknown>): void {
  if (before.enablePurgeProtection === true && after.enablePurgeProtection !== true) {
    throw badRequest(
      'BadRequest',
      'The property "enablePurgeProtection" cannot be set to false. Enabling the purge protection for a vault is an irreversible action.',
    );
  }
  if (before.enableSoftDelete === true && after.enableSoftDelete === false) {
    throw badRequest(
      'BadRequest',
      'The property "enableSoftDelete" cannot be set to false. Enabling soft delete is an irreversible action.',
    );
  }
}

/**
 * A vault. `secureDefaults` (a PUT today): soft delete on, 90 days; purge protection stays off
 * unless asked for, as in Azure. Seeded vaults keep exactly what the scenario says.
 */
export function buildVault(
  id: string,
  name: string,
  input: ResourceInput,
  secureDefaults: boolean,
  tenantId: string,
): ArmResource {
  const given = propsOf(input);
  const properties = mergePatch(
    {
      tenantId,
      sku: { family: 'A', name: 'standard' },
      accessPolicies: [],
      enabledForDeployment: false,
      enabledForDiskEncryption: false,
      enabledForTemplateDeployment: false,
      enableRbacAuthorization: true,
      publicNetworkAccess: 'Enabled',
      ...(secureDefaults ? { enableSoftDelete: true, softDeleteRetentionInDays: 90 } : {}),
    },
    given,
  );
  if (properties.enableSoftDelete === false && secureDefaults) {
    throw badRequest('BadRequest', 'Soft delete cannot be disabled on new vaults.');
  }
  properties.vaultUri = `https://${name.toLowerCase()}.vault.azure.net/`;
  properties.provisioningState = 'Succeeded';
  return {
    id,
    name,
    type: VAULT_TYPE,
    location: typeof input.location === 'string' ? input.location : 'eastus',
    tags: tagsOf(input.tags) ?? {},
    properties,
  };
}

/** PATCH (and PUT on an existing vault): properties merge; irreversible settings stay on. */
export function updateVault(existing: ArmResource, input: ResourceInput): ArmResource {
  const patch = propsOf(input);
  for (const readOnly of ['vaultUri', 'provisioningState', 'hsmPoolResourceId']) delete patch[readOnly];
  const next = clone(existing);
  next.properties = mergePatch(next.properties, patch);
  checkIrreversible(existing.properties, next.properties);
  const tags = tagsOf(input.tags);
  if (tags) next.tags = tags;
  return next;
}

export function validateKeyName(name: string): void {
  if (!/^[A-Za-z0-9-]{1,127}$/.test(name)) {
    throw badRequest('BadRequest', `The key name '${name}' is invalid: 1-127 letters, digits and hyphens.`);
  }
}

/** A key created through ARM (Keys_CreateIfNotExist); HSM key types need a Premium vault. */
export function buildKey(id: string, name: string, vault: ArmResource, input: ResourceInput): ArmResource {
  const given = propsOf(input);
  const kty = typeof given.kty === 'string' ? given.kty : 'RSA';
  if (!KEY_TYPES.includes(kty)) throw badRequest('BadRequest', `The key type '${kty}' is not supported.`);
  const sku = isRecord(vault.properties.sku) ? String(vault.properties.sku.name ?? '') : '';
  if (kty.endsWith('-HSM') && sku.toLowerCase() !== 'premium') {
    throw badRequest('BadRequest', `HSM-protected keys (${kty}) require a Premium vault.`);
  }
  const vaultUri = String(
    vault.properties.vaultUri ?? `https://${vault.name.toLowerCase()}.vault.azure.net/`,
  ).replace(/\/+$/, '');
  const now = Math.floor(Date.now() / 1000);
  const keyUri = `${vaultUri}/keys/${name}`;
  return {
    id,
    name,
    type: KEY_TYPE,
    location: vault.location ?? 'eastus',
    tags: tagsOf(input.tags) ?? {},
    properties: {
      attributes: {
        enabled: true,
        created: now,
        updated: now,
        recoveryLevel: 'Recoverable+Purgeable',
        exportable: false,
      },
      kty,
      keyOps: Array.isArray(given.keyOps) ? given.keyOps : ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'],
      ...(kty.startsWith('EC')
        ? { curveName: given.curveName ?? 'P-256' }
        : { keySize: given.keySize ?? 2048 }),
      keyUri,
      keyUriWithVersion: `${keyUri}/${randomUUID().replace(/-/g, '')}`,
    },
  };
}
