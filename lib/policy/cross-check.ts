import { CONTROLS } from '../controls/catalog.js';
import { isTenantControl } from '../controls/define-tenant.js';
import type { EvidenceRecord, EvidenceStore, Outcome } from '../evidence/types.js';
import { ARM_TYPE_NAMES } from '../resources/kinds.js';
import { toError } from '../util/errors.js';
import { type ControlPolicyMap, type OurVerdict, type PolicyReconciliation, reconcile } from './reconcile.js';
import type { PolicyStateRow, PolicyStatesReader } from './states.js';

/**
 * The cross-check use case: Azure Policy states for the definitions our controls map to (each
 * control's `azurePolicyDefinitionIds`) and the SOC 2 Type 2 initiative, against driftwarden's
 * latest evidence (the sweep's compliant / audit / remediated records and the identity run's).
 */

const VERDICTS: Partial<Record<Outcome, OurVerdict>> = {
  compliant: 'pass',
  'audit-only': 'fail',
  'remediation-failed': 'fail',
  remediated: 'remediated',
  exempted: 'exempt',
  restored: 'exempt', // put back under an approved exception
};

export const CONTROL_POLICY_MAP: readonly ControlPolicyMap[] = CONTROLS.filter(
  (control) => control.azurePolicyDefinitionIds.length > 0,
).map((control) => ({
  controlId: control.id,
  policyDefinitionIds: control.azurePolicyDefinitionIds,
  tenantLevel: isTenantControl(control),
  resourceTypes: control.resourceKinds.map((kind) => ARM_TYPE_NAMES[kind]),
}));

export interface CrossCheckDeps {
  states: PolicyStatesReader;
  evidence: Pick<EvidenceStore, 'query'>;
  soc2InitiativeId: string | null;
}

export interface CrossCheckResult extends PolicyReconciliation {
  /** subscriptions whose policy states could not be read (permission missing, throttled) */
  errors: { subscriptionId: string; message: string }[];
}

/** Latest verdict per resource × control since `since`, and per tenant control its latest run's verdict. */
async function ourVerdicts(evidence: Pick<EvidenceStore, 'query'>, since: Date) {
  const latest = new Map<string, OurVerdict>();
  const tenantRun = new Map<string, string>(); // control → correlation id of its newest run
  const tenantFail = new Set<string>(); // control|run with a failing subject
  const tenantAny = new Set<string>(); // control|run with any verdict
  let continuationToken: string | undefined;
  do {
    const page = await evidence.query({
      since: since.toISOString(),
      limit: 1000,
      ...(continuationToken ? { continuationToken } : {}),
    });
    for (const record of page.items) collect(record);
    continuationToken = page.continuationToken;
  } while (continuationToken);
  function collect(record: EvidenceRecord): void {
    const verdict = VERDICTS[record.outcome];
    if (!verdict || !record.controlId) return;
    const key = `${record.resourceId.toLowerCase()}|${record.controlId}`;
    if (!latest.has(key)) latest.set(key, verdict); // newest first
    if (record.subscriptionId.startsWith('tenant:')) {
      const run = record.correlationId ?? record.sweepId ?? '';
      if (!tenantRun.has(record.controlId)) tenantRun.set(record.controlId, run);
      if (tenantRun.get(record.controlId) !== run) return;
      tenantAny.add(record.controlId);
      if (verdict === 'fail') tenantFail.add(record.controlId);
    }
  }
  return {
    verdict: (resourceId: string, controlId: string) =>
      latest.get(`${resourceId.toLowerCase()}|${controlId}`) ?? null,
    tenantVerdict: (controlId: string): OurVerdict | null =>
      tenantFail.has(controlId) ? 'fail' : tenantAny.has(controlId) ? 'pass' : null,
  };
}

export async function crossCheckPolicy(
  deps: CrossCheckDeps,
  subscriptions: readonly string[],
  options: { since: Date },
): Promise<CrossCheckResult> {
  const definitions = [...new Set(CONTROL_POLICY_MAP.flatMap((control) => control.policyDefinitionIds))];
  const errors: CrossCheckResult['errors'] = [];
  const states: PolicyStateRow[] = [];
  for (const subscriptionId of subscriptions) {
    try {
      states.push(...(await deps.states.read(subscriptionId, definitions, deps.soc2InitiativeId)));
    } catch (thrown) {
      errors.push({ subscriptionId, message: toError(thrown).message });
    }
  }
  const verdicts = await ourVerdicts(deps.evidence, options.since);
  const result = reconcile({
    subscriptions: subscriptions.filter((id) => !errors.some((error) => error.subscriptionId === id)),
    controls: CONTROL_POLICY_MAP,
    states,
    soc2InitiativeId: deps.soc2InitiativeId,
    ...verdicts,
  });
  return { ...result, errors };
}
