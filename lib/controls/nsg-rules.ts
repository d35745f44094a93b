import {
  classifySource,
  hasPortOutside,
  isPortlessProtocol,
  mergePortRanges,
  type PortRange,
  parsePortList,
  protocolCarriesPorts,
  type SourceClass,
} from './network.js';
import { sameText } from './support.js';
import type { EvaluationSettings, NormalizedResource, RemediationPlan, SecurityRule } from './types.js';

/** What an inbound Allow rule exposes to the internet. */
export interface RuleExposure {
  rule: SecurityRule;
  internetSources: string[];
  /** management ports the rule opens (intersection with the configured list) */
  managementPorts: PortRange[];
  /** true when the rule also admits ports outside the management list */
  otherPorts: boolean;
  /** true when the protocol has no ports (ICMP, ESP, AH) */
  portlessTraffic: boolean;
  remediation: RemediationPlan;
}

interface SettingsCache {
  managementPorts: PortRange[];
  sources: Map<string, SourceClass>;
  exposures: WeakMap<SecurityRule, RuleExposure | null>;
}

// Parsing the port list and classifying the same few source strings for 200k rules dominates an
// estate sweep; cache both per settings object (settings are treated as immutable).
const caches = new WeakMap<EvaluationSettings, SettingsCache>();
const MAX_CACHED_SOURCES = 50_000;

function cacheFor(settings: EvaluationSettings): SettingsCache {
  let cache = caches.get(settings);
  if (!cache) {
    cache = {
      managementPorts: mergePortRanges(parsePortList(settings.managementPorts) ?? []),
      sources: new Map(),
      exposures: new WeakMap(),
    };
    caches.set(settings, cache);
  }
  return cache;
}

function classify(source: string, settings: EvaluationSettings, cache: SettingsCache): SourceClass {
  let result = cache.sources.get(source);
  if (result === undefined) {
    result = classifySource(source, settings.internetPrefixMaxLength);
    if (cache.sources.size >= MAX_CACHED_SOURCES) cache.sources.clear();
    cache.sources.set(source, result);
  }
  return result;
}

function intersect(a: readonly PortRange[], b: readonly PortRange[]): PortRange[] {
  const out: PortRange[] = [];
  for (const x of a) {
    for (const y of b) {
      const from = Math.max(x.from, y.from);
      const to = Math.min(x.to, y.to);
      if (from <= to) out.push({ from, to });
    }
  }
  return mergePortRanges(out);
}

/**
 * Assesses one rule. Null when the rule cannot fail: a default rule, not Inbound + Allow, or no
 * internet source. Unparseable port specs are treated as opening nothing; normalisation rejects
 * them before they get here.
 */
export function assessRule(rule: SecurityRule, settings: EvaluationSettings): RuleExposure | null {
  const cache = cacheFor(settings);
  const cached = cache.exposures.get(rule);
  if (cached !== undefined) return cached;
  const exposure = computeExposure(rule, settings, cache);
  cache.exposures.set(rule, exposure);
  return exposure;
}

function computeExposure(
  rule: SecurityRule,
  settings: EvaluationSettings,
  cache: SettingsCache,
): RuleExposure | null {
  if (rule.isDefault || !sameText(rule.direction, 'inbound') || !sameText(rule.access, 'allow')) return null;
  const internetSources: string[] = [];
  let otherSources = 0;
  for (const source of rule.sourceAddressPrefixes) {
    if (classify(source, settings, cache) === 'internet') internetSources.push(source);
    else otherSources++;
  }
  if (internetSources.length === 0) return null;

  const ports = protocolCarriesPorts(rule.protocol) ? (parsePortList(rule.destinationPortRanges) ?? []) : [];
  const remediation: RemediationPlan =
    otherSources > 0
      ? { kind: 'nsg-rule-remove-sources', ruleName: rule.name, removeSources: internetSources }
      : { kind: 'nsg-rule-deny', ruleName: rule.name };
  return {
    rule,
    internetSources,
    managementPorts: intersect(ports, cache.managementPorts),
    otherPorts: hasPortOutside(ports, cache.managementPorts),
    portlessTraffic: isPortlessProtocol(rule.protocol),
    remediation,
  };
}

/** The rules an NSG control judges: custom rules only; default rules are never flagged. */
export function judgedRules(resource: NormalizedResource): SecurityRule[] {
  if (resource.kind === 'networkSecurityGroup')
    return resource.securityRules.filter((rule) => !rule.isDefault);
  if (resource.kind === 'securityRule') return resource.rule.isDefault ? [] : [resource.rule];
  return [];
}

export function formatPorts(ranges: readonly PortRange[]): string {
  return ranges.map((r) => (r.from === r.to ? `${r.from}` : `${r.from}-${r.to}`)).join(', ');
}

export function describeRule(rule: SecurityRule): string {
  const priority = rule.priority === null ? '' : ` (priority ${rule.priority})`;
  return `Rule '${rule.name}'${priority}`;
}

export function describeSources(sources: readonly string[]): string {
  const shown = sources.slice(0, 5).join(', ');
  return sources.length > 5 ? `${shown} and ${sources.length - 5} more` : shown;
}
