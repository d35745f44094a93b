/**
 * Microsoft.Network shapes: network security groups (rules embedded, Azure's six default rules
 * alongside) and security rules, as the network RP returns them.
 */
import { randomUUID } from 'node:crypto';
import { badRequest, clone, isRecord, newWeakEtag } from '../../arm.js';
import type { ArmResource } from '../../types.js';
import { propsOf, type ResourceInput, tagsOf } from '../input.js';
import { defaultRules } from './default-rules.js';
import { validateRule, validateRuleSet } from './validation.js';

export const NSG_TYPE = 'Microsoft.Network/networkSecurityGroups';
export const RULE_TYPE = 'Microsoft.Network/networkSecurityGroups/securityRules';

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

/**
 * A security rule as the network RP returns it. Its ETag is its NSG's (stamped by buildNsg /
 * withRule): in Azure every rule of an NSG carries the NSG's ETag, so any change to any rule
 * changes every sibling's. `keepEmpty` keeps empty-string fields (seeding from real exports,
 * where e.g. `sourceAddressPrefix: ""` sits beside `sourceAddressPrefixes`).
 */
export function buildRule(
  id: string,
  name: string,
  input: ResourceInput,
  provisioningState: string,
  keepEmpty = false,
): ArmResource {
  const given = propsOf(input);
  validateRule(name, given);
  const properties: Record<string, unknown> = { provisioningState };
  for (const key of RULE_PROPERTIES) {
    const value = given[key];
    if (value !== undefined && value !== null && (value !== '' || keepEmpty)) properties[key] = value;
  }
  for (const key of RULE_ARRAYS) {
    const value = given[key];
    properties[key] = Array.isArray(value) ? value.map(String) : [];
  }
  for (const key of ['sourceApplicationSecurityGroups', 'destinationApplicationSecurityGroups']) {
    if (Array.isArray(given[key]) && (given[key] as unknown[]).length > 0) properties[key] = given[key];
  }
  return { name, id, etag: '', type: RULE_TYPE, properties };
}

/** Read-only associations the network RP reports on an NSG (never written through the NSG itself). */
const ASSOCIATIONS = ['subnets', 'networkInterfaces', 'flowLogs'];

/** Gives the NSG a new ETag and stamps it on every rule, default rules included. */
function stampEtag(nsg: ArmResource): void {
  nsg.etag = newWeakEtag();
  for (const rule of rulesOf(nsg)) rule.etag = nsg.etag;
  for (const rule of defaultRulesOf(nsg)) rule.etag = nsg.etag;
}

/**
 * A PUT of the whole NSG: `securityRules` in the body replace the existing set (absent = none,
 * as with a real ARM PUT); the NSG and every rule get one new ETag. Associations (subnets,
 * network interfaces, flow logs) are read-only: kept from `existing`, or taken from the input
 * when `seeding` (an exported estate has them).
 */
export function buildNsg(
  id: string,
  name: string,
  input: ResourceInput,
  existing: ArmResource | undefined,
  provisioningState: string,
  seeding = false,
): ArmResource {
  const given = propsOf(input);
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
      provisioningState,
      seeding,
    );
  });
  validateRuleSet(rules);
  const resourceGuid =
    typeof existing?.properties.resourceGuid === 'string' ? existing.properties.resourceGuid : randomUUID();
  const properties: Record<string, unknown> = {
    provisioningState,
    resourceGuid,
    securityRules: rules,
    defaultSecurityRules: defaultRules(id, ''),
  };
  const associations = seeding ? given : (existing?.properties ?? {});
  for (const key of ASSOCIATIONS) {
    const value = associations[key];
    if (Array.isArray(value) && value.length > 0) properties[key] = clone(value);
  }
  const nsg: ArmResource = {
    name,
    id,
    etag: '',
    type: NSG_TYPE,
    location: typeof input.location === 'string' ? input.location : (existing?.location ?? 'eastus'),
    tags: tagsOf(input.tags) ?? {},
    properties,
  };
  stampEtag(nsg);
  return nsg;
}

export function rulesOf(nsg: ArmResource | undefined): ArmResource[] {
  const rules = nsg?.properties.securityRules;
  return Array.isArray(rules) ? (rules as ArmResource[]) : [];
}

export function defaultRulesOf(nsg: ArmResource): ArmResource[] {
  const rules = nsg.properties.defaultSecurityRules;
  return Array.isArray(rules) ? (rules as ArmResource[]) : [];
}

/** Replaces (or appends, or removes with `rule` undefined) one rule; the NSG and all its rules get a new ETag. */
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
  stampEtag(next);
  return next;
}

export function findRule(nsg: ArmResource | undefined, name: string): ArmResource | undefined {
  return rulesOf(nsg).find((rule) => rule.name.toLowerCase() === name.toLowerCase());
}
