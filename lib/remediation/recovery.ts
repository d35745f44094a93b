import { getControl } from '../controls/catalog.js';
import type { ControlId, Finding, NormalizedResource, RelatedResources } from '../controls/types.js';
import type { EvidenceInput } from '../evidence/types.js';
import { ARM_TYPE_NAMES } from '../resources/kinds.js';
import { evidenceInput } from './records.js';
import { controlState, describePlan, describeRuleChange, rawRule } from './state.js';
import type { DecisionContext, Intent, ResourceSnapshot } from './types.js';

/**
 * Recovery: an earlier attempt announced writes in its intent and then died (or lost the evidence
 * store) before recording them. Every announced write whose control now passes has landed, so it
 * is recorded as `remediated`, with the before-state from the intent and the state read now. Pure.
 */

type Json = Record<string, unknown>;

export interface RecoveryInput {
  snapshot: ResourceSnapshot;
  resource: NormalizedResource;
  /** this read's findings: a control still failing did not get its write */
  findings: readonly Finding[];
  /** the intent left by the earlier attempt (null: nothing to recover) */
  recovered: Intent | null;
  ctx: DecisionContext;
  /** what the cross-resource controls see now (DIAG-RESOURCE-LOGS' state is the scope's settings) */
  related?: RelatedResources;
}

export function recoveredRecords({
  snapshot,
  resource,
  findings,
  recovered,
  ctx,
  related,
}: RecoveryInput): EvidenceInput[] {
  const stillFailing = new Set(
    findings.filter((f) => f.status === 'fail').map((f) => failingKey(f.controlId, f.ruleName ?? null)),
  );
  const records: EvidenceInput[] = [];
  for (const write of recovered?.writes ?? []) {
    const ruleName =
      write.plan.kind === 'nsg-rule-deny' || write.plan.kind === 'nsg-rule-remove-sources'
        ? write.plan.ruleName
        : null;
    const currentRule = ruleName === null ? null : rawRule(snapshot, ruleName);
    if (ruleName !== null && currentRule === null) continue; // rule deleted since: nothing to claim
    for (const controlId of write.controls) {
      if (stillFailing.has(failingKey(controlId, ruleName))) continue;
      const finding = recoveredFinding(snapshot, controlId, ruleName);
      const before = ruleName ? write.before : ((write.before as Json | null)?.[controlId] ?? null);
      const after = ruleName
        ? currentRule
        : controlState(controlId, resource, snapshot, finding.ruleName, related);
      const action = ruleName
        ? describeRuleChange(before as Json, currentRule, describePlan(write.plan))
        : describePlan(write.plan, controlId);
      records.push(
        evidenceInput(snapshot, ctx, finding, {
          outcome: 'remediated',
          action,
          message: 'Remediation completed by an earlier attempt; recorded from its write intent.',
          before,
          after,
          ...(recovered?.writeRun ? { writeRun: recovered.writeRun } : {}),
        }),
      );
    }
  }
  return records;
}

function failingKey(controlId: ControlId, ruleName: string | null): string {
  return `${controlId}|${(ruleName ?? '').toLowerCase()}`;
}

/** A finding to hang a recovered record on: the control now passes for this resource/rule. */
function recoveredFinding(
  snapshot: ResourceSnapshot,
  controlId: ControlId,
  ruleName: string | null,
): Finding {
  const control = getControl(controlId);
  return {
    resourceId: snapshot.resourceId,
    resourceType: ARM_TYPE_NAMES[snapshot.target],
    controlId,
    status: 'pass',
    severity: control.severity,
    criteria: [...control.criteria],
    message: '',
    ...(ruleName ? { ruleName } : {}),
  };
}
