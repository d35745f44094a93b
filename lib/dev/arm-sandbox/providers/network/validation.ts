/**
 * Security rule validation: what the network RP rejects in a rule (priority, protocol, access,
 * direction, address prefixes, port ranges) and in a rule set (duplicate names, priorities).
 */
import { badRequest } from '../../arm.js';
import type { ArmResource } from '../../types.js';

const PROTOCOLS = ['tcp', 'udp', 'icmp', 'esp', 'ah', '*'];

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

/** What the network RP rejects in one security rule's properties. */
export function validateRule(name: string, p: Record<string, unknown>): void {
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
