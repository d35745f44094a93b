import { parsePortList } from '../controls/network.js';
import type { EvaluationSettings } from '../controls/types.js';
import { type ResourceKind, kindOfType as readableKindOfType } from '../resources/kinds.js';
import type { JsonPath, UnknownValue } from './types.js';

/**
 * For a value not known before deployment: the values it could take that lead controls to
 * different verdicts ("witnesses"). The evaluator judges the resource once per combination; a
 * control whose verdict differs between them is `unknown`, one that fails (or passes) whatever the
 * value is keeps that verdict. So an unknown that no control reads (a SKU, a location) changes
 * nothing, and no control has to know about review time.
 *
 * Keep this table in step with lib/resources/normalize.ts: a property a control reads needs an
 * entry here, or an unknown value there would be ignored.
 */

/** Remove the property (the "not set" case). */
export const ABSENT = Symbol('absent');

export type Witnesses = readonly unknown[];

function allowAllRule(name: string) {
  return {
    name,
    properties: {
      access: 'Allow',
      direction: 'Inbound',
      protocol: '*',
      sourceAddressPrefix: '*',
      destinationPortRange: '*',
      priority: 100,
    },
  };
}

function denyRule(name: string) {
  return { name, properties: { ...allowAllRule(name).properties, access: 'Deny' } };
}

/** A management port and a port outside the management list, for the configured list. */
function portWitnesses(settings: EvaluationSettings): [string, string] {
  const management = parsePortList(settings.managementPorts) ?? [];
  const first = management[0];
  const inside = first ? String(first.from) : '22';
  const outside =
    ['443', '8443', '80', '10443', '49152'].find(
      (port) => !management.some((range) => Number(port) >= range.from && Number(port) <= range.to),
    ) ?? '443';
  return [inside, outside];
}

function ruleFieldWitnesses(field: string, settings: EvaluationSettings): Witnesses | null {
  const [inside, outside] = portWitnesses(settings);
  switch (field) {
    case 'sourceaddressprefix':
      return ['*', '10.0.0.0/8'];
    case 'sourceaddressprefixes':
      return [['*'], ['10.0.0.0/8']];
    case 'destinationportrange':
      return [inside, outside];
    case 'destinationportranges':
      return [[inside], [outside]];
    case 'protocol':
      return ['Tcp', 'Icmp'];
    case 'access':
      return ['Allow', 'Deny'];
    case 'direction':
      return ['Inbound', 'Outbound'];
    default:
      return null; // priority, description, source ports, destinations: no control reads them
  }
}

/** The kind a template/plan resource type is judged as (NSG default rules are never authored). */
export function kindOfType(type: unknown): ResourceKind | null {
  if (typeof type !== 'string') return null;
  const kind = readableKindOfType(type);
  return kind === null || kind === 'defaultSecurityRule' ? null : kind;
}

function key(path: JsonPath): string {
  return path.map((segment) => (typeof segment === 'number' ? '#' : segment.toLowerCase())).join('.');
}

/**
 * The witnesses for an unknown value, or null when no control reads it. Names get one stand-in
 * value (the expression itself) so findings still name the rule.
 */
export function witnessesFor(
  kind: ResourceKind,
  unknown: UnknownValue,
  settings: EvaluationSettings,
): Witnesses | null {
  const path = key(unknown.path);
  const placeholder = `{${unknown.expression}}`;
  const phi = settings.phiTagValues[0] ?? 'phi';
  if (path === 'tags') return [{}, { [settings.phiTagName]: phi }];
  if (path.startsWith('tags.') && unknown.path.length === 2) return [phi, 'unclassified'];
  switch (kind) {
    case 'storageAccount':
      switch (path) {
        case 'properties':
          return [
            {},
            {
              allowBlobPublicAccess: false,
              supportsHttpsTrafficOnly: true,
              minimumTlsVersion: 'TLS1_2',
              publicNetworkAccess: 'Disabled',
              encryption: { keySource: 'Microsoft.Keyvault' },
            },
            { supportsHttpsTrafficOnly: false },
          ];
        case 'properties.allowblobpublicaccess':
          return [true, false, ABSENT];
        case 'properties.supportshttpstrafficonly':
        case 'properties.enablehttpstrafficonly':
          return [true, false];
        case 'properties.minimumtlsversion':
          return ['TLS1_0', 'TLS1_2'];
        case 'properties.encryption':
          return [{ keySource: 'Microsoft.Storage' }, { keySource: 'Microsoft.Keyvault' }];
        case 'properties.encryption.keysource':
          return ['Microsoft.Storage', 'Microsoft.Keyvault'];
        case 'properties.publicnetworkaccess':
          return ['Enabled', 'Disabled'];
        case 'properties.networkacls':
        case 'properties.networkruleset':
          return [{ defaultAction: 'Allow' }, { defaultAction: 'Deny' }];
        case 'properties.networkacls.defaultaction':
        case 'properties.networkruleset.defaultaction':
          return ['Allow', 'Deny'];
        default:
          return null;
      }
    case 'blobContainer':
      if (path === 'properties') return [{ publicAccess: 'None' }, { publicAccess: 'Blob' }];
      if (path === 'properties.publicaccess') return ['None', 'Blob', 'Container'];
      return null;
    case 'networkSecurityGroup': {
      if (path === 'properties' || path === 'properties.securityrules') {
        const rules = [[], [allowAllRule(placeholder)]];
        return path === 'properties' ? rules.map((securityRules) => ({ securityRules })) : rules;
      }
      if (path === 'properties.securityrules.#') return [allowAllRule(placeholder), denyRule(placeholder)];
      if (path === 'properties.securityrules.#.name') return [placeholder];
      if (path === 'properties.securityrules.#.properties')
        return [allowAllRule(placeholder).properties, denyRule(placeholder).properties];
      const field = /^properties\.securityrules\.#\.properties\.([a-z]+)$/.exec(path)?.[1];
      return field ? ruleFieldWitnesses(field, settings) : null;
    }
    case 'securityRule': {
      if (path === 'properties')
        return [allowAllRule(placeholder).properties, denyRule(placeholder).properties];
      const field = /^properties\.([a-z]+)$/.exec(path)?.[1];
      return field ? ruleFieldWitnesses(field, settings) : null;
    }
    default:
      // template/plan readers map only storage and NSG types so far (lib/iac): no witnesses
      return null;
  }
}

/**
 * Which independent group an unknown belongs to: each inline security rule is judged on its own,
 * so its unknowns combine only with each other (keeps the number of combinations small).
 */
export function unitOf(unknown: UnknownValue): string {
  const [first, second, third] = unknown.path;
  if (first === 'properties' && second === 'securityRules' && typeof third === 'number')
    return `rule:${third}`;
  return 'resource';
}
