import { ARM_TYPE_NAMES, kindOfType, type ReadableKind, type ResourceKind } from '../resources/kinds.js';

/**
 * The one parser of ARM resource ids, at two strengths:
 *
 * - `parseResourceId`: strict, for ids we act on. Ids arrive in untrusted event payloads and end up
 *   in SDK calls, table keys and logs, so anything outside the ARM naming rules (`#`, `?`, `\`,
 *   `..`, control characters, odd segment counts) is rejected rather than cleaned.
 * - `idShapeOf`: structure only, for resource JSON users hand to `driftwarden evaluate` (any
 *   subscription spelling, names unchecked): which kind the id names, and its parent's id.
 *
 * Both read the type table in lib/resources/kinds.ts.
 */

export interface ParsedResourceId {
  target: ResourceKind;
  subscriptionId: string;
  resourceGroup: string;
  /** storage account or NSG name */
  parentName: string;
  /** container or rule name (child targets only) */
  childName: string | null;
  /** canonical spelling: Azure's casing of the fixed segments, names as given */
  canonicalId: string;
  /**
   * Diagnostic settings only (an extension resource): `id` is the canonical id of the scope the
   * setting is attached to (e.g. an account's `.../blobServices/default`), `resourceId` the
   * resource driftwarden judges for it (the account).
   */
  scope?: { id: string; resourceId: string };
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
// Log Analytics workspace: 4-63 letters, digits and hyphens, starting and ending alphanumeric.
const WORKSPACE = /^[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$/;
// Log Analytics table: letters, digits and underscores (custom tables end in _CL, search results _SRCH).
const WORKSPACE_TABLE = /^[A-Za-z][A-Za-z0-9_]{0,99}$/;
// Key Vault: 3-24 letters, digits and single hyphens, starting with a letter, ending alphanumeric.
const VAULT = /^(?=.{3,24}$)[A-Za-z](?:[A-Za-z0-9]|-(?!-))*[A-Za-z0-9]$/;
// Key Vault key: 1-127 letters, digits and hyphens.
const VAULT_KEY = /^[A-Za-z0-9-]{1,127}$/;
// Diagnostic setting names: no path or query characters (the illegal-character check runs first).
const DIAGNOSTIC_SETTING = /^[A-Za-z0-9_.()-]{1,260}$/;
const DIAGNOSTIC_SUFFIX = /\/providers\/microsoft\.insights\/diagnosticsettings\/([^/]+)$/i;
const BLOB_SERVICE_SUFFIX = /\/blobServices\/default$/i;

function eq(a: string | undefined, b: string): boolean {
  return a !== undefined && a.toLowerCase() === b.toLowerCase();
}

type NameRule = { pattern: RegExp; what: string } | { fixed: string };

/**
 * ARM naming rules per type level (lower-cased ARM type): every level of every kind in
 * ARM_TYPE_NAMES needs one (checked below). `fixed`: the only name driftwarden handles there.
 */
const NAME_RULES = new Map<string, NameRule>([
  ['microsoft.storage/storageaccounts', { pattern: STORAGE_ACCOUNT, what: 'storage account' }],
  ['microsoft.storage/storageaccounts/blobservices', { fixed: 'default' }],
  ['microsoft.storage/storageaccounts/blobservices/containers', { pattern: CONTAINER, what: 'container' }],
  ['microsoft.network/networksecuritygroups', { pattern: NETWORK_NAME, what: 'network security group' }],
  ['microsoft.network/networksecuritygroups/securityrules', { pattern: NETWORK_NAME, what: 'security rule' }],
  ['microsoft.operationalinsights/workspaces', { pattern: WORKSPACE, what: 'Log Analytics workspace' }],
  ['microsoft.operationalinsights/workspaces/tables', { pattern: WORKSPACE_TABLE, what: 'workspace table' }],
  ['microsoft.keyvault/vaults', { pattern: VAULT, what: 'key vault' }],
  ['microsoft.keyvault/vaults/keys', { pattern: VAULT_KEY, what: 'key vault key' }],
  ['microsoft.insights/diagnosticsettings', { pattern: DIAGNOSTIC_SETTING, what: 'diagnostic setting' }],
]);

/** Kinds we act on, by lower-cased ARM type. */
const ACTIONABLE_TYPES = new Map<string, ResourceKind>(
  (Object.entries(ARM_TYPE_NAMES) as [ResourceKind, string][]).map(([kind, type]) => [
    type.toLowerCase(),
    kind,
  ]),
);

for (const type of Object.values(ARM_TYPE_NAMES)) {
  const levels = type.split('/');
  for (let length = 2; length <= levels.length; length++) {
    const level = levels.slice(0, length).join('/').toLowerCase();
    if (!NAME_RULES.has(level)) throw new Error(`resource-id: no naming rule for ${level}`);
  }
}

/** What an id names, by structure alone (see idShapeOf). */
export interface IdShape {
  kind: ReadableKind;
  /** id of the resource at the top of the type path (storage account, NSG), spelled as given */
  topId: string;
  /** the resource group named just before `providers`, when there is one */
  resourceGroup: string | null;
  /** the last name in the id */
  name: string;
}

/**
 * Which kind an id names, from its `providers/<namespace>/<type>/<name>[/<type>/<name>]...` tail
 * (case-insensitive; trailing slashes ignored; names and everything before `providers` unchecked).
 * Null for ids of other types or without that structure.
 */
export function idShapeOf(id: string): IdShape | null {
  const parts = id.replace(/\/+$/, '').split('/');
  for (let at = parts.length - 4; at >= 0; at--) {
    if (!eq(parts[at], 'providers')) continue;
    const tail = parts.slice(at + 1);
    if (tail.length % 2 === 0 || tail.some((part) => part === '')) continue;
    // [namespace, type, name, type, name, ...] -> 'namespace/type/type...'
    const types = [tail[0], ...tail.slice(1).filter((_, index) => index % 2 === 0)];
    const kind = kindOfType(types.join('/'));
    if (!kind) continue;
    const resourceGroup = at >= 2 && eq(parts[at - 2], 'resourceGroups') ? (parts[at - 1] ?? null) : null;
    return { kind, topId: parts.slice(0, at + 4).join('/'), resourceGroup, name: tail.at(-1) as string };
  }
  return null;
}

/** The last segment of an id (its name), trailing slashes ignored. */
export function lastIdSegment(id: string): string {
  return id.replace(/\/+$/, '').split('/').at(-1) ?? '';
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
  const diagnostic = DIAGNOSTIC_SUFFIX.exec(value);
  if (diagnostic) return parseDiagnosticSettingId(value.slice(0, diagnostic.index), diagnostic[1] as string);
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

  // The resource itself (storage account, NSG): its name is validated even when what follows is
  // a child type we do not handle, so a hostile account name never passes as "not ours".
  const top = `${namespace}/${type}`;
  const topRule = ACTIONABLE_TYPES.has(top.toLowerCase()) ? NAME_RULES.get(top.toLowerCase()) : undefined;
  if (!topRule) return { ok: true, id: null };
  if ('pattern' in topRule && !topRule.pattern.test(parentName))
    return { ok: false, reason: `${topRule.what} name is not valid` };

  const childTypes = rest.filter((_, index) => index % 2 === 0);
  const kind = ACTIONABLE_TYPES.get([top, ...childTypes].join('/').toLowerCase());
  if (!kind) return { ok: true, id: null };
  const canonicalTypes = ARM_TYPE_NAMES[kind].split('/');
  let canonicalId = `${base}/${canonicalTypes[0]}/${canonicalTypes[1]}/${parentName}`;
  for (let index = 0; index < rest.length; index += 2) {
    const level = canonicalTypes.slice(0, 3 + index / 2).join('/');
    const rule = NAME_RULES.get(level.toLowerCase());
    const name = rest[index + 1] as string;
    if (!rule) return { ok: true, id: null };
    if ('fixed' in rule) {
      if (!eq(name, rule.fixed)) return { ok: true, id: null };
      canonicalId += `/${canonicalTypes[2 + index / 2]}/${rule.fixed}`;
    } else {
      if (!rule.pattern.test(name)) return { ok: false, reason: `${rule.what} name is not valid` };
      canonicalId += `/${canonicalTypes[2 + index / 2]}/${name}`;
    }
  }
  return {
    ok: true,
    id: {
      target: kind,
      subscriptionId,
      resourceGroup,
      parentName,
      childName: rest.length > 0 ? (rest.at(-1) as string) : null,
      canonicalId,
    },
  };
}

/**
 * A diagnostic setting id: the scope must be a resource we judge (or a storage account's blob
 * service), so the setting's resource is what a change of the setting re-evaluates.
 */
function parseDiagnosticSettingId(scopeId: string, name: string): ResourceIdResult {
  if (!DIAGNOSTIC_SETTING.test(name)) return { ok: false, reason: 'diagnostic setting name is not valid' };
  const blobService = BLOB_SERVICE_SUFFIX.exec(scopeId);
  const owner = parseResourceId(blobService ? scopeId.slice(0, blobService.index) : scopeId);
  if (!owner.ok) return owner;
  if (!owner.id || owner.id.target === 'diagnosticSetting') return { ok: true, id: null };
  if (blobService && owner.id.target !== 'storageAccount') return { ok: true, id: null };
  const scope = blobService ? `${owner.id.canonicalId}/blobServices/default` : owner.id.canonicalId;
  return {
    ok: true,
    id: {
      target: 'diagnosticSetting',
      subscriptionId: owner.id.subscriptionId,
      resourceGroup: owner.id.resourceGroup,
      parentName: owner.id.parentName,
      childName: name,
      canonicalId: `${scope}/providers/${ARM_TYPE_NAMES.diagnosticSetting}/${name}`,
      scope: { id: scope, resourceId: owner.id.canonicalId },
    },
  };
}

/** Parses an id we must act on; throws when it is not one of our resource types. */
export function requireResourceId(value: string): ParsedResourceId {
  const result = parseResourceId(value);
  if (!result.ok) throw new Error(`Invalid resource id: ${result.reason}`);
  if (!result.id) throw new Error('Unsupported resource type for remediation');
  return result.id;
}
