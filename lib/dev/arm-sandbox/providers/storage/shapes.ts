/**
 * Microsoft.Storage shapes: the storage account and blob container JSON the sandbox returns.
 * Validation mirrors what Azure rejects where driftwarden can hit it.
 */
import { ArmError, badRequest, clone, isRecord, mergePatch, newStorageEtag } from '../../arm.js';
import type { ArmResource } from '../../types.js';
import { propsOf, type ResourceInput, tagsOf } from '../input.js';

export const STORAGE_TYPE = 'Microsoft.Storage/storageAccounts';
export const CONTAINER_TYPE = 'Microsoft.Storage/storageAccounts/blobServices/containers';

const TLS_VERSIONS = ['TLS1_0', 'TLS1_1', 'TLS1_2', 'TLS1_3'];

export function validateAccountName(name: string): void {
  if (!/^[a-z0-9]{3,24}$/.test(name)) {
    throw badRequest(
      'AccountNameInvalid',
      `${name} is not a valid storage account name. Storage account name must be between 3 and 24 characters in length and use numbers and lower-case letters only.`,
    );
  }
}

function validateAccountProperties(props: Record<string, unknown>): void {
  const tls = props.minimumTlsVersion;
  if (tls !== undefined && tls !== null && !TLS_VERSIONS.includes(String(tls))) {
    throw badRequest(
      'InvalidValuesForRequestParameters',
      `Values for request parameters are invalid: minimumTlsVersion '${String(tls)}'.`,
    );
  }
  for (const flag of ['allowBlobPublicAccess', 'supportsHttpsTrafficOnly']) {
    const value = props[flag];
    if (value !== undefined && value !== null && typeof value !== 'boolean') {
      throw badRequest(
        'InvalidValuesForRequestParameters',
        `Values for request parameters are invalid: ${flag}.`,
      );
    }
  }
}

/**
 * A new storage account. `secureDefaults` applies what a PUT with a current api-version gets
 * (no anonymous blob access, TLS 1.2, HTTPS only); seeded accounts keep exactly what the scenario
 * says, so "absent" (older accounts) can be represented.
 */
export function buildStorageAccount(
  id: string,
  name: string,
  input: ResourceInput,
  secureDefaults: boolean,
  provisioningState: string,
): ArmResource {
  const location = typeof input.location === 'string' ? input.location : 'eastus';
  const sku =
    isRecord(input.sku) && typeof input.sku.name === 'string' ? input.sku : { name: 'Standard_LRS' };
  const skuName = String(sku.name);
  const given = propsOf(input);
  validateAccountProperties(given);
  const defaults: Record<string, unknown> = {
    encryption: {
      keySource: 'Microsoft.Storage',
      services: { blob: { enabled: true, keyType: 'Account' }, file: { enabled: true, keyType: 'Account' } },
      requireInfrastructureEncryption: false,
    },
    networkAcls: { bypass: 'AzureServices', virtualNetworkRules: [], ipRules: [], defaultAction: 'Allow' },
    accessTier: 'Hot',
    ...(secureDefaults
      ? { allowBlobPublicAccess: false, minimumTlsVersion: 'TLS1_2', supportsHttpsTrafficOnly: true }
      : {}),
  };
  const properties = mergePatch(defaults, given);
  Object.assign(properties, {
    provisioningState,
    creationTime: new Date().toISOString(),
    primaryLocation: location,
    statusOfPrimary: 'available',
    primaryEndpoints: {
      blob: `https://${name}.blob.core.windows.net/`,
      queue: `https://${name}.queue.core.windows.net/`,
      table: `https://${name}.table.core.windows.net/`,
      file: `https://${name}.file.core.windows.net/`,
      dfs: `https://${name}.dfs.core.windows.net/`,
      web: `https://${name}.z13.web.core.windows.net/`,
    },
  });
  const resource: ArmResource = {
    id,
    name,
    type: STORAGE_TYPE,
    location,
    tags: tagsOf(input.tags) ?? {},
    sku: { name: skuName, tier: skuName.startsWith('Premium') ? 'Premium' : 'Standard' },
    kind: typeof input.kind === 'string' ? input.kind : 'StorageV2',
    properties,
  };
  return resource;
}

/** PATCH (and PUT on an existing account): properties merge, tags and sku replace when given. */
export function updateStorageAccount(existing: ArmResource, input: ResourceInput): ArmResource {
  const patch = propsOf(input);
  validateAccountProperties(patch);
  // read-only properties are ignored, as ARM does
  for (const readOnly of [
    'provisioningState',
    'creationTime',
    'primaryEndpoints',
    'primaryLocation',
    'statusOfPrimary',
  ]) {
    delete patch[readOnly];
  }
  const next = clone(existing);
  next.properties = mergePatch(next.properties, patch);
  const tags = tagsOf(input.tags);
  if (tags) next.tags = tags;
  if (isRecord(input.sku) && typeof input.sku.name === 'string') {
    next.sku = { name: input.sku.name, tier: input.sku.name.startsWith('Premium') ? 'Premium' : 'Standard' };
  }
  if (typeof input.kind === 'string') next.kind = input.kind;
  return next;
}

// Blob containers (under blobServices/default).

const PUBLIC_ACCESS = ['None', 'Blob', 'Container'];

export function validateContainerName(name: string): void {
  if (!/^[a-z0-9](?:[a-z0-9]|-(?!-)){1,61}[a-z0-9]$/.test(name)) {
    throw badRequest(
      'ContainerOperationFailure',
      `The specified resource name '${name}' contains invalid characters or has an invalid length (3-63 lower-case letters, digits and single hyphens).`,
    );
  }
}

/** Azure refuses container public access when the account disallows it. */
function checkPublicAccess(account: ArmResource, publicAccess: string): void {
  if (!PUBLIC_ACCESS.includes(publicAccess)) {
    throw badRequest(
      'InvalidValuesForRequestParameters',
      `Values for request parameters are invalid: publicAccess '${publicAccess}'.`,
    );
  }
  if (publicAccess !== 'None' && account.properties.allowBlobPublicAccess === false) {
    throw new ArmError(
      409,
      'PublicAccessNotPermitted',
      'Public access is not permitted on this storage account.',
    );
  }
}

export function buildContainer(
  id: string,
  name: string,
  account: ArmResource,
  input: ResourceInput,
  existing: ArmResource | undefined,
  enforcePublicAccessRule: boolean,
): ArmResource {
  const given = propsOf(input);
  const previous = existing ? clone(existing.properties) : undefined;
  const publicAccess = String(given.publicAccess ?? previous?.publicAccess ?? 'None');
  if (enforcePublicAccessRule) checkPublicAccess(account, publicAccess);
  else if (!PUBLIC_ACCESS.includes(publicAccess)) checkPublicAccess(account, publicAccess);
  const base: Record<string, unknown> = previous ?? {
    leaseStatus: 'Unlocked',
    leaseState: 'Available',
    hasImmutabilityPolicy: false,
    hasLegalHold: false,
    deleted: false,
    remainingRetentionDays: 0,
    defaultEncryptionScope: '$account-encryption-key',
    denyEncryptionScopeOverride: false,
  };
  const properties = mergePatch(base, given);
  properties.publicAccess = publicAccess;
  properties.lastModifiedTime = new Date().toISOString();
  return { id, name, type: CONTAINER_TYPE, etag: newStorageEtag(), properties };
}
