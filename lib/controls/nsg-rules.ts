import type { Verdict } from './define.js';
import {
  classifySource,
  hasPortOutside,
  isMerged,
  isPortlessProtocol,
  mergePortRanges,
  type PortRange,
  parsePortList,
  portRangesOf,
  protocolCarriesPorts,
} from './network.js';
import { sameText } from './support.js';
import type {
  EvaluationSettings,
  Finding,
  NetworkSecurityGroupResource,
  RemediationPlan,
  SecurityRule,
  SecurityRuleResource,
} from './types.js';

/** What an inbound Allow rule exposes to the internet. */
export interface RuleExposure {
  rule: SecurityRule;
  internetSources: string[];
  /** management ports the rule opens (intersection with the configured list) */
  managementPorts: readonly PortRange[];
  /** managementPorts as messages show them (formatPorts) */
  managementPortsText: string;
  /** true when the rule also admits ports outside the management list */
  otherPorts: boolean;
  /** true when the protocol has no ports (ICMP, ESP, AH) */
  portlessTraffic: boolean;
  remediation: RemediationPlan;
}

// The management port list is parsed once per settings object (settings are treated as immutable).
const managementPortCache = new WeakMap<EvaluationSettings, PortRange[]>();

function managementPortsOf(settings: EvaluationSettings): PortRange[] {
  let ranges = managementPortCache.get(settings);
  if (!ranges) {
    ranges = mergePortRanges(parsePortList(settings.managementPorts) ?? []);
    managementPortCache.set(settings, ranges);
  }
  return ranges;
}

/** What a rule's destination ports open, against one management list. */
interface PortsJudgement {
  managementPorts: readonly PortRange[];
  managementPortsText: string;
  otherPorts: boolean;
}

const NO_PORTS: PortsJudgement = Object.freeze({
  managementPorts: Object.freeze([]),
  managementPortsText: '',
  otherPorts: false,
});

// Rules repeat a few port specs: judged once per spec (or spec list) and settings object
// (immutable, as above). Single specs and lists are kept apart, so no key stands for both.
const portsCache = new WeakMap<
  EvaluationSettings,
  { single: Map<string, PortsJudgement>; lists: Map<string, PortsJudgement> }
>();
const PORTS_CACHE_LIMIT = 10_000;

function judgePorts(specs: readonly string[], settings: EvaluationSettings): PortsJudgement {
  let caches = portsCache.get(settings);
  if (!caches) {
    caches = { single: new Map(), lists: new Map() };
    portsCache.set(settings, caches);
  }
  const cache = specs.length === 1 ? caches.single : caches.lists;
  const key = specs.length === 1 ? (specs[0] as string) : JSON.stringify(specs);
  let judged = cache.get(key);
  if (!judged) {
    const managementPorts = managementPortsOf(settings);
    const ports = portRangesOf(specs) ?? [];
    const opened = intersect(ports, managementPorts);
    judged = Object.freeze({
      managementPorts: Object.freeze(opened),
      managementPortsText: formatPorts(opened),
      otherPorts: hasPortOutside(ports, managementPorts),
    });
    if (cache.size >= PORTS_CACHE_LIMIT) cache.clear();
    cache.set(key, judged);
  }
  return judged;
}

/** The ports in both; `b` is merged (sorted, non-overlapping, non-adjacent). */
function intersect(a: readonly PortRange[], b: readonly PortRange[]): PortRange[] {
  const out: PortRange[] = [];
  for (const x of a) {
    for (const y of b) {
      const from = Math.max(x.from, y.from);
      const to = Math.min(x.to, y.to);
      if (from <= to) out.push({ from, to });
    }
  }
  // Pieces of one range of `a` are apart as `b`'s ranges are: with a single range (the usual
  // rule) or a merged `a`, the result is already merged.
  return a.length <= 1 || isMerged(a) ? out : mergePortRanges(out);
}

/**
 * Assesses one rule. Null when the rule cannot fail: a default rule, not Inbound + Allow, or no
 * internet source. Unparseable port specs are treated as opening nothing; normalisation rejects
 * them before they get here.
 */
function assessRule(rule: SecurityRule, settings: EvaluationSettings): RuleExposure | null {
  if (rule.isDefault || !sameText(rule.direction, 'Inbound') || !sameText(rule.access, 'Allow')) return null;
  const sources = rule.sourceAddressPrefixes;
  let internet = 0;
  for (const source of sources) {
    if (classifySource(source, settings.internetPrefixMaxLength) === 'internet') internet++;
  }
  if (internet === 0) return null; // most rules: decided without allocating
  const otherSources = sources.length - internet;
  const internetSources =
    otherSources === 0
      ? sources.slice()
      : sources.filter((source) => classifySource(source, settings.internetPrefixMaxLength) === 'internet');

  const ports = protocolCarriesPorts(rule.protocol)
    ? judgePorts(rule.destinationPortRanges, settings)
    : NO_PORTS;
  const remediation: RemediationPlan =
    otherSources > 0
      ? { kind: 'nsg-rule-remove-sources', ruleName: rule.name, removeSources: internetSources }
      : { kind: 'nsg-rule-deny', ruleName: rule.name };
  return {
    rule,
    internetSources,
    managementPorts: ports.managementPorts,
    managementPortsText: ports.managementPortsText,
    otherPorts: ports.otherPorts,
    portlessTraffic: isPortlessProtocol(rule.protocol),
    remediation,
  };
}

/** The rules an NSG control judges: custom rules only (evaluateRules skips default ones). */
function judgedRules(resource: NetworkSecurityGroupResource | SecurityRuleResource): readonly SecurityRule[] {
  return resource.kind === 'networkSecurityGroup' ? resource.securityRules : [resource.rule];
}

/**
 * The evaluate() of an NSG control: one `fail` finding per judged rule whose exposure `failure`
 * describes (it returns the message, or null when the rule does not fail this control), each with
 * the rule's surgical remediation; otherwise one `pass` finding with `passMessage`.
 */
export function evaluateRules(
  verdict: Verdict,
  resource: NetworkSecurityGroupResource | SecurityRuleResource,
  settings: EvaluationSettings,
  failure: (rule: SecurityRule, exposure: RuleExposure) => string | null,
  passMessage: string,
): Finding[] {
  const failures: Finding[] = [];
  for (const rule of judgedRules(resource)) {
    if (rule.isDefault) continue; // never flagged
    const exposure = assessRule(rule, settings);
    const message = exposure ? failure(rule, exposure) : null;
    if (!exposure || message === null) continue;
    failures.push(verdict.fail(message, { ruleName: rule.name, remediation: exposure.remediation }));
  }
  if (failures.length > 0) return failures;
  const extra = resource.kind === 'securityRule' ? { ruleName: resource.rule.name } : {};
  return [verdict.pass(passMessage, extra)];
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
