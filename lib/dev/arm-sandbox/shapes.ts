/**
 * Builders for the ARM JSON the sandbox returns: storage accounts, blob containers, network
 * security groups (with embedded rules and Azure's six default rules) and security rules.
 * Validation mirrors what Azure rejects where driftwarden can hit it.
 */
import { randomUUID } from 'node:crypto';
import { ArmError, clone, isRecord, mergePatch, newStorageEtag, newWeakEtag } from './arm.js';
import type { ArmResource } from './types.js';

export const STORAGE_TYPE = 'Microsoft.Storage/storageAccounts';
export const CONTAINER_TYPE = 'Microsoft.Storage/storageAccounts/blobServices/containers';
export const NSG_TYPE = 'Microsoft.Network/networkSecurityGroups';
export const RULE_TYPE = 'Microsoft.Network/networkSecurityGroups/securityRules';
export const DEFAULT_RULE_TYPE = 'Microsoft.Network/networkSecurityGroups/defaultSecurityRules';

export interface ResourceInput {
  location?: unknown;
  tags?: unknown;
  sku?: unknown;
  kind?: unknown;
  properties?: unknown;
}

function tagsOf(value: unknown): Record<string, string> | undefined {
  if (!isRecord(value)) return undefined;
  const tags: Record<string, string> = {};
  for (const [key, tag] of Object.entries(value)) tags[key] = String(tag);
  return tags;
}

function propsOf(input: ResourceInput): Record<string, unknown> {
  return isRecord(input.properties) ? clone(input.properties) : {};
}

function badRequest(code: string, message: string): ArmError {
  return new ArmError(400, code, message);
}

// ---------------------------------------------------------------- storage accounts

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

// ---------------------------------------------------------------- blob containers

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

// ---------------------------------------------------------------- network security groups and rules

const PROTOCOLS = ['tcp', 'udp', 'icmp', 'esp', 'ah', '*'];
const RULE_PROPERTIES = [
  'description',
  'protocol',
  'sourcePortRange',
  'destinationPortRange',
  'sourceAddressPrefix',
  'destinationAddressPrefix',
  'access',
  'priority',
  'direction',
];
const RULE_ARRAYS = [
  'sourcePortRanges',
  'destinationPortRanges',
  'sourceAddressPrefixes',
  'destinationAddressPrefixes',
];

function nonEmpty(value: unknown): boolean {
  return typeof value === 'string' ? value.trim() !== '' : Array.isArray(value) && value.length > 0;
}

function checkPorts(ruleName: string, side: string, single: unknown, list: unknown): void {
  const ports = [
    ...(typeof single === 'string' && single !== '' ? [single] : []),
    ...(Array.isArray(list) ? list : []),
  ];
  if (ports.length === 0) {
    throw badRequest(
      'SecurityRuleInvalidPortRange',
      `Security rule ${ruleName} has no ${side} port range specified.`,
    );
  }
  if (nonEmpty(single) && nonEmpty(list)) {
    throw badRequest(
      'SecurityRuleParameterContainsBothRangeAndRanges',
      `Security rule ${ruleName} specifies both ${side}PortRange and ${side}PortRanges.`,
    );
  }
  for (const port of ports) {
    const text = String(port).trim();
    const match = /^(\d+)(?:-(\d+))?$/.exec(text);
    const ok =
      text === '*' ||
      (match !== null &&
        Number(match[1]) <= 65535 &&
        Number(match[2] ?? match[1]) <= 65535 &&
        Number(match[1]) <= Number(match[2] ?? match[1]));
    if (!ok) {
      throw badRequest(
        'SecurityRuleInvalidPortRange',
        `Security rule ${ruleName} has invalid ${side} port range '${text}'. Allowed values: *, 0-65535 or a range a-b.`,
      );
    }
  }
}

function checkPrefixes(ruleName: string, side: string, single: unknown, list: unknown, asgs: unknown): void {
  if (!nonEmpty(single) && !nonEmpty(list) && !nonEmpty(asgs)) {
    throw badRequest(
      'SecurityRuleInvalidAddressPrefix',
      `Security rule ${ruleName} has no ${side} address prefix specified.`,
    );
  }
  if (nonEmpty(single) && nonEmpty(list)) {
    throw badRequest(
      'SecurityRuleParameterContainsBothPrefixAndPrefixes',
      `Security rule ${ruleName} specifies both ${side}AddressPrefix and ${side}AddressPrefixes.`,
    );
  }
}

function validateRule(name: string, p: Record<string, unknown>): void {
  const priority = p.priority;
  if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 100 || priority > 4096) {
    throw badRequest(
      'SecurityRuleInvalidPriority',
      `Security rule ${name} has invalid Priority. Value provided: ${String(priority)}. Allowed range 100-4096.`,
    );
  }
  if (typeof p.protocol !== 'string' || !PROTOCOLS.includes(p.protocol.toLowerCase())) {
    throw badRequest(
      'SecurityRuleInvalidProtocol',
      `Security rule ${name} has invalid Protocol '${String(p.protocol)}'. Allowed: Tcp, Udp, Icmp, Esp, Ah, *.`,
    );
  }
  if (typeof p.access !== 'string' || !['allow', 'deny'].includes(p.access.toLowerCase())) {
    throw badRequest(
      'SecurityRuleInvalidAccess',
      `Security rule ${name} has invalid Access '${String(p.access)}'. Allowed: Allow, Deny.`,
    );
  }
  if (typeof p.direction !== 'string' || !['inbound', 'outbound'].includes(p.direction.toLowerCase())) {
    throw badRequest(
      'SecurityRuleInvalidDirection',
      `Security rule ${name} has invalid Direction '${String(p.direction)}'. Allowed: Inbound, Outbound.`,
    );
  }
  checkPrefixes(
    name,
    'source',
    p.sourceAddressPrefix,
    p.sourceAddressPrefixes,
    p.sourceApplicationSecurityGroups,
  );
  checkPrefixes(
    name,
    'destination',
    p.destinationAddressPrefix,
    p.destinationAddressPrefixes,
    p.destinationApplicationSecurityGroups,
  );
  checkPorts(name, 'source', p.sourcePortRange, p.sourcePortRanges);
  checkPorts(name, 'destination', p.destinationPortRange, p.destinationPortRanges);
}

/** Priorities are unique per direction within an NSG (names are unique case-insensitively). */
export function validateRuleSet(rules: ArmResource[]): void {
  const seenPriority = new Map<string, string>();
  const seenName = new Set<string>();
  for (const rule of rules) {
    const lowerName = rule.name.toLowerCase();
    if (seenName.has(lowerName)) {
      throw badRequest(
        'InvalidRequestFormat',
        `Security rule name ${rule.name} is used more than once in the network security group.`,
      );
    }
    seenName.add(lowerName);
    const key = `${String(rule.properties.direction).toLowerCase()}:${String(rule.properties.priority)}`;
    const other = seenPriority.get(key);
    if (other !== undefined) {
      throw badRequest(
        'SecurityRuleConflict',
        `Security rule ${rule.name} conflicts with rule ${other}. Rules cannot have the same Priority and Direction. Priority: ${String(rule.properties.priority)}, Direction: ${String(rule.properties.direction)}.`,
      );
    }
    seenPriority.set(key, rule.name);
  }
}

function ruleContent(p: Record<string, unknown>): string {
  return JSON.stringify([...RULE_PROPERTIES, ...RULE_ARRAYS].map((key) => p[key] ?? null));
}

/**
 * A security rule as the network RP returns it. Keeps the previous ETag when nothing changed
 * (a PUT of the NSG that leaves a rule alone must not invalidate that rule's ETag).
 */
export function buildRule(
  id: string,
  name: string,
  input: ResourceInput,
  previous: ArmResource | undefined,
  provisioningState: string,
): ArmResource {
  const given = propsOf(input);
  validateRule(name, given);
  const properties: Record<string, unknown> = { provisioningState };
  for (const key of RULE_PROPERTIES) {
    const value = given[key];
    if (value !== undefined && value !== null && value !== '') properties[key] = value;
  }
  for (const key of RULE_ARRAYS) {
    const value = given[key];
    properties[key] = Array.isArray(value) ? value.map(String) : [];
  }
  for (const key of ['sourceApplicationSecurityGroups', 'destinationApplicationSecurityGroups']) {
    if (Array.isArray(given[key]) && (given[key] as unknown[]).length > 0) properties[key] = given[key];
  }
  const unchanged = previous !== undefined && ruleContent(previous.properties) === ruleContent(properties);
  const etag = unchanged && previous?.etag ? previous.etag : newWeakEtag();
  return { name, id, etag, type: RULE_TYPE, properties };
}

const DEFAULT_RULES: Array<[string, string, string, string, number, string, string]> = [
  // name, description, source, destination, priority, access, direction
  [
    'AllowVnetInBound',
    'Allow inbound traffic from all VMs in VNET',
    'VirtualNetwork',
    'VirtualNetwork',
    65000,
    'Allow',
    'Inbound',
  ],
  [
    'AllowAzureLoadBalancerInBound',
    'Allow inbound traffic from azure load balancer',
    'AzureLoadBalancer',
    '*',
    65001,
    'Allow',
    'Inbound',
  ],
  ['DenyAllInBound', 'Deny all inbound traffic', '*', '*', 65500, 'Deny', 'Inbound'],
  [
    'AllowVnetOutBound',
    'Allow outbound traffic from all VMs to all VMs in VNET',
    'VirtualNetwork',
    'VirtualNetwork',
    65000,
    'Allow',
    'Outbound',
  ],
  [
    'AllowInternetOutBound',
    'Allow outbound traffic from all VMs to Internet',
    '*',
    'Internet',
    65001,
    'Allow',
    'Outbound',
  ],
  ['DenyAllOutBound', 'Deny all outbound traffic', '*', '*', 65500, 'Deny', 'Outbound'],
];

function defaultRules(nsgResourceId: string, etag: string): ArmResource[] {
  return DEFAULT_RULES.map(([name, description, source, destination, priority, access, direction]) => ({
    name,
    id: `${nsgResourceId}/defaultSecurityRules/${name}`,
    etag,
    type: DEFAULT_RULE_TYPE,
    properties: {
      provisioningState: 'Succeeded',
      description,
      protocol: '*',
      sourcePortRange: '*',
      destinationPortRange: '*',
      sourceAddressPrefix: source,
      destinationAddressPrefix: destination,
      access,
      priority,
      direction,
      sourcePortRanges: [],
      destinationPortRanges: [],
      sourceAddressPrefixes: [],
      destinationAddressPrefixes: [],
    },
  }));
}

/**
 * A PUT of the whole NSG: `securityRules` in the body replace the existing set (absent = none,
 * as with a real ARM PUT). Rules left unchanged keep their ETag; the NSG gets a new one.
 */
export function buildNsg(
  id: string,
  name: string,
  input: ResourceInput,
  existing: ArmResource | undefined,
  provisioningState: string,
): ArmResource {
  const given = propsOf(input);
  const previousRules = new Map<string, ArmResource>();
  for (const rule of rulesOf(existing)) previousRules.set(rule.name.toLowerCase(), rule);
  const rawRules = Array.isArray(given.securityRules) ? given.securityRules : [];
  const rules = rawRules.map((raw: unknown) => {
    const ruleInput = isRecord(raw) ? raw : {};
    const ruleName = typeof ruleInput.name === 'string' ? ruleInput.name : '';
    if (ruleName === '') throw badRequest('InvalidRequestFormat', 'Every security rule needs a name.');
    // Both the ARM shape ({ name, properties }) and the flattened SDK shape are accepted in scenarios.
    const props = isRecord(ruleInput.properties) ? ruleInput.properties : ruleInput;
    return buildRule(
      `${id}/securityRules/${ruleName}`,
      ruleName,
      { properties: props },
      previousRules.get(ruleName.toLowerCase()),
      provisioningState,
    );
  });
  validateRuleSet(rules);
  const etag = newWeakEtag();
  for (const rule of rules) rule.properties.provisioningState = provisioningState;
  const resourceGuid =
    typeof existing?.properties.resourceGuid === 'string' ? existing.properties.resourceGuid : randomUUID();
  return {
    name,
    id,
    etag,
    type: NSG_TYPE,
    location: typeof input.location === 'string' ? input.location : (existing?.location ?? 'eastus'),
    tags: tagsOf(input.tags) ?? {},
    properties: {
      provisioningState,
      resourceGuid,
      securityRules: rules,
      defaultSecurityRules: defaultRules(id, etag),
    },
  };
}

export function rulesOf(nsg: ArmResource | undefined): ArmResource[] {
  const rules = nsg?.properties.securityRules;
  return Array.isArray(rules) ? (rules as ArmResource[]) : [];
}

export function defaultRulesOf(nsg: ArmResource): ArmResource[] {
  const rules = nsg.properties.defaultSecurityRules;
  return Array.isArray(rules) ? (rules as ArmResource[]) : [];
}

/** Replaces (or appends, or removes with `rule` undefined) one rule and gives the NSG a new ETag. */
export function withRule(nsg: ArmResource, ruleName: string, rule: ArmResource | undefined): ArmResource {
  const next = clone(nsg);
  const rules = rulesOf(next).filter((r) => r.name.toLowerCase() !== ruleName.toLowerCase());
  if (rule) {
    const index = rulesOf(next).findIndex((r) => r.name.toLowerCase() === ruleName.toLowerCase());
    if (index >= 0) rules.splice(index, 0, rule);
    else rules.push(rule);
  }
  validateRuleSet(rules);
  next.properties.securityRules = rules;
  next.etag = newWeakEtag();
  for (const def of defaultRulesOf(next)) def.etag = next.etag;
  return next;
}
