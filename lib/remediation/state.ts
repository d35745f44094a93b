import { parseResourceId } from '../azure/resource-id.js';
import { fieldNamesOf } from '../controls/resource-fields.js';
import type { ControlId, NormalizedResource, RelatedResources, RemediationPlan } from '../controls/types.js';
import { diagnosticStateOf } from './diagnostic-state.js';
import type { ResourceSnapshot } from './types.js';

/**
 * What an evidence record shows as "before" and "after": only the state a control is about —
 * the properties it declares it reads (storage account, container), the security rule exactly
 * as ARM returned it (so it can be restored verbatim), or for DIAG-RESOURCE-LOGS the diagnostic
 * settings of the resource's scope (diagnostic-state.ts; read beside the resource, `related`).
 */

/** The control whose state is the resource's diagnostic settings, not its own properties. */
export const DIAGNOSTIC_SETTINGS_CONTROL: ControlId = 'DIAG-RESOURCE-LOGS';

type Json = Record<string, unknown>;

function sameText(a: unknown, b: string): boolean {
  return typeof a === 'string' && a.toLowerCase() === b.toLowerCase();
}

/** The rule named `ruleName` as ARM returned it: the snapshot itself, or one of the NSG's custom rules. */
export function rawRule(snapshot: ResourceSnapshot, ruleName: string): Json | null {
  if (snapshot.target === 'securityRule') return snapshot.raw;
  const rules = Array.isArray(snapshot.raw.securityRules) ? (snapshot.raw.securityRules as Json[]) : [];
  return rules.find((rule) => sameText(rule.name, ruleName)) ?? null;
}

/** State relevant to one control's decision. */
export function controlState(
  controlId: ControlId,
  resource: NormalizedResource,
  snapshot: ResourceSnapshot,
  ruleName: string | null | undefined,
  related?: RelatedResources,
): unknown {
  if (controlId === DIAGNOSTIC_SETTINGS_CONTROL) return diagnosticStateOf(resource, related);
  switch (resource.kind) {
    case 'storageAccount':
    case 'blobContainer':
    case 'logAnalyticsWorkspace':
    case 'keyVault': {
      const out: Json = {};
      for (const field of fieldNamesOf(controlId)) out[field] = (resource as unknown as Json)[field] ?? null;
      return out;
    }
    case 'networkSecurityGroup':
    case 'securityRule':
      return ruleName ? rawRule(snapshot, ruleName) : null;
    case 'keyVaultKey':
    case 'logAnalyticsTable':
    case 'diagnosticSetting':
      // judged only through the resource they belong to
      return null;
  }
}

/** Where a plan writes: plans with the same key are merged into one ARM write. */
export function writeKeyOf(plan: RemediationPlan): string {
  switch (plan.kind) {
    case 'storage-account-properties':
    case 'blob-container-public-access':
    case 'workspace-properties':
      return 'properties';
    case 'nsg-rule-remove-sources':
    case 'nsg-rule-deny':
      return `rule:${plan.ruleName.toLowerCase()}`;
    case 'diagnostic-setting':
      return `diagnostic-setting:${plan.scopeId.toLowerCase()}/${plan.name.toLowerCase()}`;
  }
}

/**
 * One write for several controls: union of storage properties; for a rule, the union of internet
 * sources to remove, or Deny when any control asks for it (the gateway also falls back to Deny
 * when no source would remain).
 */
export function mergePlans(a: RemediationPlan, b: RemediationPlan): RemediationPlan {
  if (a.kind === 'storage-account-properties' && b.kind === 'storage-account-properties') {
    return { kind: a.kind, set: { ...a.set, ...b.set } };
  }
  if (a.kind === 'workspace-properties' && b.kind === 'workspace-properties') {
    return { kind: a.kind, set: { ...a.set, ...b.set } };
  }
  if (
    a.kind === 'nsg-rule-deny' ||
    a.kind === 'blob-container-public-access' ||
    a.kind === 'diagnostic-setting'
  )
    return a;
  if (b.kind === 'nsg-rule-deny') return b;
  if (a.kind === 'nsg-rule-remove-sources' && b.kind === 'nsg-rule-remove-sources') {
    const sources = [...a.removeSources];
    for (const source of b.removeSources) if (!sources.some((s) => sameText(s, source))) sources.push(source);
    return { kind: a.kind, ruleName: a.ruleName, removeSources: sources };
  }
  return a;
}

/** Human description of a plan, for the evidence `action` field. */
export function describePlan(plan: RemediationPlan, controlId?: ControlId): string {
  switch (plan.kind) {
    case 'storage-account-properties': {
      const fields = controlId ? fieldNamesOf(controlId) : Object.keys(plan.set);
      const set = Object.entries(plan.set).filter(([key]) => fields.includes(key));
      return `set ${(set.length > 0 ? set : Object.entries(plan.set)).map(([key, value]) => `${key}=${String(value)}`).join(', ')}`;
    }
    case 'blob-container-public-access':
      return 'set publicAccess=None';
    case 'workspace-properties':
      return `set retentionInDays=${plan.set.retentionInDays}`;
    case 'nsg-rule-remove-sources':
      return `removed internet source(s) ${plan.removeSources.join(', ')} from rule ${plan.ruleName}`;
    case 'nsg-rule-deny':
      return `set access=Deny on rule ${plan.ruleName}`;
    case 'diagnostic-setting':
      return `created diagnostic setting ${plan.name} on ${plan.scopeId} sending ${plan.categories.join(', ')} to workspace ${plan.workspaceId}`;
  }
}

/** The action that was actually taken on a rule, from its state before and after. */
export function describeRuleChange(before: Json | null, after: Json | null, fallback: string): string {
  if (!before || !after) return fallback;
  if (sameText(before.access, 'allow') && sameText(after.access, 'deny'))
    return `set access=Deny on rule ${String(after.name)}`;
  const sources = (rule: Json) =>
    [
      rule.sourceAddressPrefix,
      ...(Array.isArray(rule.sourceAddressPrefixes) ? rule.sourceAddressPrefixes : []),
    ].filter((source): source is string => typeof source === 'string' && source !== '');
  const removed = sources(before).filter((source) => !sources(after).includes(source));
  return removed.length > 0
    ? `removed internet source(s) ${removed.join(', ')} from rule ${String(after.name)}`
    : fallback;
}

/** A snapshot from resource JSON already in hand (sweep lists, tests): the SDK model, copied. */
export function snapshotOf(raw: unknown): ResourceSnapshot {
  if (typeof raw !== 'object' || raw === null) throw new Error('resource JSON is not an object');
  const json = JSON.parse(JSON.stringify(raw)) as Json;
  const parsed = parseResourceId(json.id);
  if (!parsed.ok) throw new Error(`resource JSON has an invalid id: ${parsed.reason}`);
  if (!parsed.id) throw new Error('resource JSON is not of a resource type driftwarden judges');
  return {
    resourceId: parsed.id.canonicalId,
    target: parsed.id.target,
    subscriptionId: parsed.id.subscriptionId,
    raw: json,
    etag: typeof json.etag === 'string' ? json.etag : null,
  };
}
