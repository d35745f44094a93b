import { CONTROL_IDS } from '../controls/catalog.js';
import type {
  ControlException,
  ControlId,
  EvaluationSettings,
  Finding,
  Mode,
  NormalizedResource,
  RelatedResources,
} from '../controls/types.js';
import { evaluateResource } from '../evaluate.js';
import type { EvidenceInput } from '../evidence/types.js';
import { normalizeResource } from '../resources/normalize.js';
import { evidenceInput, type RecordBody } from './records.js';
import { recoveredRecords } from './recovery.js';
import { controlState, describePlan, describeRuleChange, mergePlans, rawRule, writeKeyOf } from './state.js';
import type { DecisionContext, Intent, IntentWrite, ResourceSnapshot } from './types.js';

/**
 * What to do about one resource as read: evaluate every control, apply the mode in force per
 * control, and say which records need no ARM write and which writes to make. Pure: no I/O, no
 * clock; the engine (engine.ts) reads, claims the intent, writes and stores.
 *
 * What is recorded:
 * - every failing control: remediated | remediation-failed | audit-only | exempted;
 * - sweep and manual runs also record passing controls (`compliant`) and controls switched off
 *   (`skipped`) — continuous evidence that the control held;
 * - events record only the failing controls' decisions. A compliant re-read (stale or duplicate
 *   event, or our own write) records nothing: the log then shows changes, not noise.
 */

type Json = Record<string, unknown>;

export interface DecisionInput {
  snapshot: ResourceSnapshot;
  /** `snapshot.raw` normalised (the engine skips resources that do not normalise) */
  resource: NormalizedResource;
  ctx: DecisionContext;
  settings: EvaluationSettings;
  /** active exceptions at `now` */
  exceptions: readonly ControlException[];
  now: Date;
  /** mode in force per control (catalog default, overrides, global audit switch): see modes.ts */
  modes: (id: ControlId) => Mode;
  /** intent left by an earlier attempt with this prefix: its landed writes are recorded from it */
  recovered: Intent | null;
  /** other resources, for the cross-resource controls (default: none known) */
  related?: RelatedResources;
}

/** One ARM write for every failing control it fixes (plans with the same write key merged). */
export interface PlannedWrite extends IntentWrite {
  findings: Finding[];
}

export interface Decision {
  /** records that need no write: recovered writes first, then this read's decisions in finding order */
  records: EvidenceInput[];
  /** writes to make, in finding order; their records depend on how ARM answers (writeRecords) */
  writes: PlannedWrite[];
}

/** What a write's records are about: the resource (and what it relates to) as read before the write. */
export type DecisionScope = Pick<DecisionInput, 'snapshot' | 'resource' | 'ctx' | 'related'>;

/** Every control is evaluated; the mode in force is applied afterwards (off → `skipped` on the sweep). */
const ALL_ON: Partial<Record<ControlId, Mode>> = Object.fromEntries(
  CONTROL_IDS.map((id) => [id, 'remediate']),
);

export function decideResource(input: DecisionInput): Decision {
  const { snapshot, resource, ctx } = input;
  const findings = evaluateResource(resource, {
    settings: input.settings,
    exceptions: input.exceptions,
    now: input.now,
    modes: ALL_ON,
    ...(input.related ? { related: input.related } : {}),
  });
  const records = recoveredRecords({
    snapshot,
    resource,
    findings,
    recovered: input.recovered,
    ctx,
    ...(input.related ? { related: input.related } : {}),
  });
  const record = (finding: Finding, body: RecordBody) =>
    records.push(evidenceInput(snapshot, ctx, finding, body));
  const state = (finding: Finding) => stateOf(input, finding);
  const unchanged = (finding: Finding, outcome: RecordBody['outcome'], action: string) =>
    record(finding, {
      outcome,
      action,
      message: finding.message,
      before: state(finding),
      after: state(finding),
    });

  const groups = new Map<string, Pick<PlannedWrite, 'plan' | 'findings'>>();
  for (const finding of findings) {
    const mode = input.modes(finding.controlId);
    if (finding.status === 'not-applicable') continue;
    if (mode === 'off') {
      if (ctx.trigger !== 'event')
        record(finding, {
          outcome: 'skipped',
          action: 'none (control off)',
          message: 'Control is switched off by configuration.',
          before: null,
          after: null,
        });
      continue;
    }
    if (finding.status === 'pass') {
      if (ctx.trigger !== 'event') unchanged(finding, 'compliant', 'none');
      continue;
    }
    if (finding.status === 'exempt') {
      unchanged(finding, 'exempted', `none (exception ${finding.exceptionId ?? '?'})`);
      continue;
    }
    const plan = finding.remediation;
    if (mode === 'audit' || !plan) {
      const why = mode === 'audit' ? 'audit mode' : 'no automatic remediation for this control';
      unchanged(finding, 'audit-only', `none (${why})`);
      continue;
    }
    if (ctx.dryRun) {
      unchanged(finding, 'audit-only', `dry run: would ${describePlan(plan, finding.controlId)}`);
      continue;
    }
    const writeKey = writeKeyOf(plan);
    const group = groups.get(writeKey);
    if (group) {
      group.plan = mergePlans(group.plan, plan);
      group.findings.push(finding);
    } else {
      groups.set(writeKey, { plan, findings: [finding] });
    }
  }
  const writes = [...groups].map(
    ([writeKey, { plan, findings: fixed }]): PlannedWrite => ({
      writeKey,
      controls: fixed.map((f) => f.controlId),
      plan,
      before: writeBefore(input, fixed),
      findings: fixed,
    }),
  );
  return { records, writes };
}

/**
 * What the intent announces: the new writes, plus the recovered intent's writes that this round
 * does not redo (they landed, or their rule is gone, and recovery judges them again next time).
 */
export function intentWrites(recovered: Intent | null, writes: readonly PlannedWrite[]): IntentWrite[] {
  const planned = new Set(writes.map((write) => write.writeKey));
  return [
    ...(recovered?.writes ?? []).filter((write) => !planned.has(write.writeKey)),
    ...writes.map(({ writeKey, controls, plan, before }) => ({ writeKey, controls, plan, before })),
  ];
}

/** Records of a write ARM accepted; `written` is the state it reports (for a rule plan: the rule). */
export function remediatedRecords(
  scope: DecisionScope,
  write: PlannedWrite,
  written: ResourceSnapshot,
  writeRun: string | undefined,
): EvidenceInput[] {
  const after = written.target === 'securityRule' ? null : normalizeResource(written.raw);
  return write.findings.map((finding) => {
    const before = stateOf(scope, finding);
    const afterState = finding.ruleName
      ? written.raw
      : after
        ? stateOf(
            { snapshot: written, resource: after, ...(written.related ? { related: written.related } : {}) },
            finding,
          )
        : null;
    const action = finding.ruleName
      ? describeRuleChange(before as Json, written.raw, describePlan(write.plan))
      : describePlan(write.plan, finding.controlId);
    return evidenceInput(scope.snapshot, scope.ctx, finding, {
      outcome: 'remediated',
      action,
      message: finding.message,
      before,
      after: afterState,
      ...(writeRun ? { writeRun } : {}),
    });
  });
}

/** Records of a write ARM refused for good (`message`: why, already clipped). */
export function failedRecords(
  scope: DecisionScope,
  write: PlannedWrite,
  message: string,
  writeRun: string | undefined,
  after?: (finding: Finding) => unknown,
): EvidenceInput[] {
  return write.findings.map((finding) =>
    evidenceInput(scope.snapshot, scope.ctx, finding, {
      outcome: 'remediation-failed',
      action: `attempted: ${describePlan(write.plan, finding.controlId)}`,
      message,
      before: stateOf(scope, finding),
      after: after ? after(finding) : stateOf(scope, finding),
      ...(writeRun ? { writeRun } : {}),
    }),
  );
}

/**
 * The findings of `write` that still fail on the state ARM reported after it (its response body,
 * or a re-read): the write was accepted but did not take (a policy `modify`, a property ARM
 * ignored), so recording `remediated` would be false.
 */
export function notTaken(
  write: PlannedWrite,
  written: ResourceSnapshot,
  settings: EvaluationSettings,
): Finding[] | null {
  const resource = normalizeResource(written.raw);
  if (!resource) return null; // nothing to judge: the caller re-reads
  // a write to a related resource is judged on what ARM reports about it afterwards
  const after = evaluateResource(resource, {
    settings,
    modes: ALL_ON,
    ...(written.related ? { related: written.related } : {}),
  });
  return write.findings.filter((finding) =>
    after.some(
      (judged) =>
        judged.status === 'fail' &&
        judged.controlId === finding.controlId &&
        (judged.ruleName ?? '').toLowerCase() === (finding.ruleName ?? '').toLowerCase(),
    ),
  );
}

function stateOf(
  { snapshot, resource, related }: Pick<DecisionInput, 'snapshot' | 'resource' | 'related'>,
  finding: Finding,
): unknown {
  return controlState(finding.controlId, resource, snapshot, finding.ruleName, related);
}

/** The rule as ARM returned it, or the storage state keyed by control so recovery can split it per record. */
function writeBefore(
  { snapshot, resource, related }: Pick<DecisionInput, 'snapshot' | 'resource' | 'related'>,
  findings: readonly Finding[],
): unknown {
  const first = findings[0] as Finding;
  if (first.ruleName) return rawRule(snapshot, first.ruleName);
  const before: Json = {};
  for (const finding of findings)
    before[finding.controlId] = controlState(finding.controlId, resource, snapshot, null, related);
  return before;
}
