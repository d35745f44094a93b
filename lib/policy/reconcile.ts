import type { PolicyStateRow } from './states.js';

/**
 * The Azure Policy cross-check: per resource × control, do Azure Policy and driftwarden agree?
 * And which subscriptions lack the assignments our controls map to (no state = not assigned)?
 * Pure. A disagreement is a finding to investigate (a stale policy scan, a gap in either view),
 * never an automatic action.
 */

/** What driftwarden concluded about a resource × control (from its latest evidence). */
export type OurVerdict = 'pass' | 'fail' | 'exempt' | 'remediated';

export interface ControlPolicyMap {
  controlId: string;
  policyDefinitionIds: readonly string[];
  /** tenant-level controls judge the tenant: their verdict stands for every subscription's state */
  tenantLevel: boolean;
  /** ARM types the control judges (a state about another type is not this control's to compare) */
  resourceTypes: readonly string[];
}

export interface ReconcileInput {
  subscriptions: readonly string[];
  controls: readonly ControlPolicyMap[];
  states: readonly PolicyStateRow[];
  /** driftwarden's verdict for a resource × control, or null when it has none */
  verdict(resourceId: string, controlId: string): OurVerdict | null;
  /** the tenant-wide verdict of a tenant-level control (any failing subject fails it), or null */
  tenantVerdict(controlId: string): OurVerdict | null;
  soc2InitiativeId: string | null;
}

export type Agreement = 'agree' | 'disagree' | 'not-compared';

export interface ReconciliationRow {
  subscriptionId: string;
  resourceId: string;
  controlId: string;
  policyDefinitionId: string;
  policyState: string;
  ours: OurVerdict | 'not-evaluated';
  agreement: Agreement;
  note: string;
}

export interface AssignmentGap {
  subscriptionId: string;
  /** definition GUIDs our controls map to with no compliance state in the subscription */
  missingDefinitions: string[];
  soc2InitiativeAssigned: boolean;
}

export interface PolicyReconciliation {
  rows: ReconciliationRow[];
  gaps: AssignmentGap[];
  totals: { agree: number; disagree: number; notCompared: number };
}

/** Azure Policy's view as pass/fail (null: no opinion, e.g. Unknown or Exempt). */
function policySays(state: string): 'pass' | 'fail' | 'exempt' | null {
  switch (state.toLowerCase()) {
    case 'compliant':
      return 'pass';
    case 'noncompliant':
      return 'fail';
    case 'exempt':
      return 'exempt';
    default:
      return null;
  }
}

function compare(policy: string, ours: OurVerdict | null): { agreement: Agreement; note: string } {
  const theirs = policySays(policy);
  if (ours === null)
    return { agreement: 'not-compared', note: 'driftwarden has no verdict for this resource' };
  if (theirs === null) return { agreement: 'not-compared', note: `Azure Policy reports ${policy}` };
  if (theirs === 'exempt' || ours === 'exempt')
    return theirs === ours
      ? { agreement: 'agree', note: 'exempt in both' }
      : {
          agreement: 'disagree',
          note: 'exempt in one view only: check the exception and the policy exemption',
        };
  // A remediated resource was failing and is compliant now: Azure Policy may not have rescanned yet.
  const now = ours === 'remediated' ? 'pass' : ours;
  if (now === theirs) return { agreement: 'agree', note: '' };
  return ours === 'remediated' && theirs === 'fail'
    ? {
        agreement: 'disagree',
        note: 'driftwarden remediated it; Azure Policy has not re-evaluated yet (or the fix did not hold)',
      }
    : {
        agreement: 'disagree',
        note:
          theirs === 'fail'
            ? 'Azure Policy finds it non-compliant, driftwarden passes it'
            : 'driftwarden finds it failing, Azure Policy compliant',
      };
}

export function reconcile(input: ReconcileInput): PolicyReconciliation {
  const byDefinition = new Map<string, ControlPolicyMap[]>();
  for (const control of input.controls) {
    for (const id of control.policyDefinitionIds) {
      const key = id.toLowerCase();
      byDefinition.set(key, [...(byDefinition.get(key) ?? []), control]);
    }
  }
  const rows: ReconciliationRow[] = [];
  const seen = new Map<string, Set<string>>();
  const initiativeIn = new Set<string>();
  const initiative = input.soc2InitiativeId?.toLowerCase() ?? null;
  for (const state of input.states) {
    const subscription = state.subscriptionId.toLowerCase();
    if (initiative && state.policySetDefinitionName === initiative) initiativeIn.add(subscription);
    const controls = byDefinition.get(state.policyDefinitionName);
    if (!controls) continue; // an initiative member no control maps to
    const set = seen.get(subscription) ?? new Set<string>();
    set.add(state.policyDefinitionName);
    seen.set(subscription, set);
    for (const control of controls) {
      const type = state.resourceType.toLowerCase();
      if (!control.tenantLevel && type && !control.resourceTypes.some((t) => t.toLowerCase() === type))
        continue;
      const ours = control.tenantLevel
        ? input.tenantVerdict(control.controlId)
        : input.verdict(state.resourceId, control.controlId);
      const { agreement, note } = compare(state.complianceState, ours);
      rows.push({
        subscriptionId: subscription,
        resourceId: state.resourceId,
        controlId: control.controlId,
        policyDefinitionId: state.policyDefinitionName,
        policyState: state.complianceState,
        ours: ours ?? 'not-evaluated',
        agreement,
        note,
      });
    }
  }
  // one row per resource × control × definition; a resource assigned twice (directly and via the
  // initiative) reports the same state twice: keep the first
  const unique = new Map<string, ReconciliationRow>();
  for (const row of rows) {
    const key = `${row.resourceId.toLowerCase()}|${row.controlId}|${row.policyDefinitionId}`;
    if (!unique.has(key)) unique.set(key, row);
  }
  const sorted = [...unique.values()].sort(
    (a, b) =>
      a.subscriptionId.localeCompare(b.subscriptionId) ||
      a.resourceId.localeCompare(b.resourceId) ||
      a.controlId.localeCompare(b.controlId) ||
      a.policyDefinitionId.localeCompare(b.policyDefinitionId),
  );
  const mapped = [...byDefinition.keys()].sort();
  const gaps = input.subscriptions
    .map((id) => id.toLowerCase())
    .map((subscriptionId) => ({
      subscriptionId,
      missingDefinitions: mapped.filter((definition) => !seen.get(subscriptionId)?.has(definition)),
      soc2InitiativeAssigned: initiative === null ? false : initiativeIn.has(subscriptionId),
    }))
    .filter((gap) => gap.missingDefinitions.length > 0 || !gap.soc2InitiativeAssigned);
  const totals = { agree: 0, disagree: 0, notCompared: 0 };
  for (const row of sorted) {
    if (row.agreement === 'agree') totals.agree++;
    else if (row.agreement === 'disagree') totals.disagree++;
    else totals.notCompared++;
  }
  return { rows: sorted, gaps, totals };
}
