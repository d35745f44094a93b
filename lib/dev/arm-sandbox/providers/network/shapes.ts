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
