/**
 * Strict parser for the four ARM resource ids driftwarden acts on. Ids arrive in untrusted event
 * payloads and end up in SDK calls, table keys and logs, so anything outside the ARM naming rules
 * (`#`, `?`, `\`, `..`, control characters, odd segment counts) is rejected rather than cleaned.
 */

export type ResourceTarget = 'storageAccount' | 'blobContainer' | 'networkSecurityGroup' | 'securityRule';

export interface ParsedResourceId {
  target: ResourceTarget;
  subscriptionId: string;
  resourceGroup: string;
  /** storage account or NSG name */
  parentName: string;
  /** container or rule name (child targets only) */
  childName: string | null;
  /** canonical spelling: Azure's casing of the fixed segments, names as given */
  canonicalId: string;
}

/** ARM ids are at most a few hundred characters in practice; the documented limit is far below this. */
export const MAX_RESOURCE_ID_LENGTH = 1024;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Resource group: 1-90 letters, digits, `_ - . ( )`, not ending in `.` (unicode letters allowed by ARM).
const RESOURCE_GROUP = /^[\p{L}\p{N}_\-.()]{1,90}$/u;
const STORAGE_ACCOUNT = /^[a-z0-9]{3,24}$/;
// Container: 3-63 lowercase letters, digits and single hyphens, starting and ending alphanumeric.
const CONTAINER = /^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/;
// Network resource names: 1-80, start alphanumeric, end alphanumeric or `_`, inner `_ . -`.
const NETWORK_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$/;

function eq(a: string | undefined, b: string): boolean {
  return a !== undefined && a.toLowerCase() === b.toLowerCase();
}

/** Why an id was refused, or the parsed id. Unsupported-but-well-formed ids return `null`. */
export type ResourceIdResult = { ok: true; id: ParsedResourceId | null } | { ok: false; reason: string };

/**
 * Parses `/subscriptions/<guid>/resourceGroups/<rg>/providers/<ns>/<type>/<name>[/...]`.
 * Well-formed ids of other resource types yield `{ ok: true, id: null }` (not ours, not hostile).
 */
export function parseResourceId(value: unknown): ResourceIdResult {
  if (typeof value !== 'string') return { ok: false, reason: 'resource id is not a string' };
  if (value.length === 0) return { ok: false, reason: 'resource id is empty' };
  if (value.length > MAX_RESOURCE_ID_LENGTH)
    return { ok: false, reason: `resource id longer than ${MAX_RESOURCE_ID_LENGTH}` };
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f#?\\%]/.test(value))
    return { ok: false, reason: 'resource id contains an illegal character' };
  if (!value.startsWith('/') || value.endsWith('/'))
    return { ok: false, reason: 'resource id must start with / and not end with /' };
  const parts = value.slice(1).split('/');
  if (parts.some((part) => part.length === 0 || part === '.' || part === '..')) {
    return { ok: false, reason: 'resource id has an empty or relative segment' };
  }
  const [subs, subscriptionId, rgs, resourceGroup, providers, namespace, type, parentName, ...rest] = parts;
  if (!eq(subs, 'subscriptions') || subscriptionId === undefined || !GUID.test(subscriptionId)) {
    return { ok: false, reason: 'resource id must start with /subscriptions/<subscription GUID>' };
  }
  if (!eq(rgs, 'resourceGroups') || resourceGroup === undefined) {
    return { ok: false, reason: 'resource id has no resource group' };
  }
  if (!RESOURCE_GROUP.test(resourceGroup) || resourceGroup.endsWith('.')) {
    return { ok: false, reason: 'resource group name is not valid' };
  }
  if (
    !eq(providers, 'providers') ||
    namespace === undefined ||
    type === undefined ||
    parentName === undefined
  ) {
    // a resource group or subscription id: well-formed, not a resource we handle
    return parts.length <= 4
      ? { ok: true, id: null }
      : { ok: false, reason: 'resource id has no provider segment' };
  }
  if (rest.length % 2 !== 0)
    return { ok: false, reason: 'resource id has an odd number of type/name segments' };
  const base = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers`;

  if (eq(namespace, 'Microsoft.Storage') && eq(type, 'storageAccounts')) {
    if (!STORAGE_ACCOUNT.test(parentName)) return { ok: false, reason: 'storage account name is not valid' };
    const account = `${base}/Microsoft.Storage/storageAccounts/${parentName}`;
    if (rest.length === 0) {
      return {
        ok: true,
        id: {
          target: 'storageAccount',
          subscriptionId,
          resourceGroup,
          parentName,
          childName: null,
          canonicalId: account,
        },
      };
    }
    const [blobServices, service, containers, container, ...deeper] = rest;
    if (
      eq(blobServices, 'blobServices') &&
      eq(service, 'default') &&
      eq(containers, 'containers') &&
      deeper.length === 0
    ) {
      if (container === undefined || !CONTAINER.test(container))
        return { ok: false, reason: 'container name is not valid' };
      return {
        ok: true,
        id: {
          target: 'blobContainer',
          subscriptionId,
          resourceGroup,
          parentName,
          childName: container,
          canonicalId: `${account}/blobServices/default/containers/${container}`,
        },
      };
    }
    return { ok: true, id: null };
  }

  if (eq(namespace, 'Microsoft.Network') && eq(type, 'networkSecurityGroups')) {
    if (!NETWORK_NAME.test(parentName))
      return { ok: false, reason: 'network security group name is not valid' };
    const nsg = `${base}/Microsoft.Network/networkSecurityGroups/${parentName}`;
    if (rest.length === 0) {
      return {
        ok: true,
        id: {
          target: 'networkSecurityGroup',
          subscriptionId,
          resourceGroup,
          parentName,
          childName: null,
          canonicalId: nsg,
        },
      };
    }
    const [securityRules, rule, ...deeper] = rest;
    if (eq(securityRules, 'securityRules') && deeper.length === 0) {
      if (rule === undefined || !NETWORK_NAME.test(rule))
        return { ok: false, reason: 'security rule name is not valid' };
      return {
        ok: true,
        id: {
          target: 'securityRule',
          subscriptionId,
          resourceGroup,
          parentName,
          childName: rule,
          canonicalId: `${nsg}/securityRules/${rule}`,
        },
      };
    }
    return { ok: true, id: null };
  }
  return { ok: true, id: null };
}

/** Parses an id we must act on; throws when it is not one of our four resource types. */
export function requireResourceId(value: string): ParsedResourceId {
  const result = parseResourceId(value);
  if (!result.ok) throw new Error(`Invalid resource id: ${result.reason}`);
  if (!result.id) throw new Error('Unsupported resource type for remediation');
  return result.id;
}

/** ARM type spelled as Azure spells it, for evidence records. */
export const ARM_TYPE_NAMES: Record<ResourceTarget, string> = {
  storageAccount: 'Microsoft.Storage/storageAccounts',
  blobContainer: 'Microsoft.Storage/storageAccounts/blobServices/containers',
  networkSecurityGroup: 'Microsoft.Network/networkSecurityGroups',
  securityRule: 'Microsoft.Network/networkSecurityGroups/securityRules',
};
