import { createHash } from 'node:crypto';
import type { IdentitySettings } from '../controls/identity-settings.js';
import type { ControlId, Finding, Mode } from '../controls/types.js';
import type { EvidenceInput, EvidenceStore, Outcome } from '../evidence/types.js';
import type { ExceptionStore } from '../exceptions/types.js';
import type { Clock } from '../util/clock.js';
import { evaluateTenant, TENANT_CONTROLS } from './evaluate.js';
import type { GraphClient } from './graph-client.js';
import { readTenantSnapshot } from './graph-reader.js';
import type { TenantSnapshot } from './snapshot.js';

/**
 * The identity validation use case: read the tenant snapshot from Graph, judge it with the
 * tenant-level controls (exceptions applied), and record every verdict as evidence — audit-only
 * findings and compliant records, never a write to the tenant. Run by the daily identity timer,
 * the monthly sweep and local mode's start-up validation.
 */
export interface IdentityRuntime {
  graph: GraphClient;
  evidence: EvidenceStore;
  exceptions: ExceptionStore;
  settings: IdentitySettings;
  modes: (id: ControlId) => Mode;
  tenantId: string | null;
  clock: Clock;
  log: (line: string) => void;
}

export interface IdentityRunOptions {
  /** makes the records idempotent: the same run id never records twice (a retried timer) */
  runId: string;
  trigger: 'sweep' | 'manual';
  /** evaluate and report, record nothing */
  dryRun?: boolean;
}

export interface IdentityRunResult {
  runId: string;
  tenantId: string;
  findings: Finding[];
  counts: { pass: number; fail: number; exempt: number; notApplicable: number };
  /** evidence records written (or found already written) */
  records: number;
  /** Graph HTTP requests this run made (retries included) */
  graphRequests: number;
}

/** The evidence "subscription" (chain) of tenant-level records. */
export const tenantChain = (tenantId: string) => `tenant:${tenantId}`;

const OUTCOMES: Partial<Record<Finding['status'], Outcome>> = {
  pass: 'compliant',
  fail: 'audit-only',
  exempt: 'exempted',
};

/** What the verdicts were based on: a digest of the snapshot (auditors can tie a record to the data read). */
function basis(snapshot: TenantSnapshot) {
  return {
    readAt: snapshot.readAt,
    snapshotSha256: createHash('sha256').update(JSON.stringify(snapshot)).digest('hex'),
    conditionalAccessPolicies: snapshot.conditionalAccessPolicies.length,
    roleAssignments: snapshot.roleAssignments.length,
    accessReviews: snapshot.accessReviews.length,
  };
}

export function identityEvidence(
  findings: readonly Finding[],
  snapshot: TenantSnapshot,
  options: IdentityRunOptions,
): EvidenceInput[] {
  const state = basis(snapshot);
  const inputs: EvidenceInput[] = [];
  for (const finding of findings) {
    const outcome = OUTCOMES[finding.status];
    if (!outcome) continue; // not-applicable: nothing to evidence
    inputs.push({
      idempotencyKey: `identity:${options.runId}:${finding.resourceId}:${finding.controlId}`,
      trigger: options.trigger,
      eventId: null,
      correlationId: options.runId,
      subscriptionId: tenantChain(snapshot.tenantId),
      resourceId: finding.resourceId,
      resourceType: finding.resourceType,
      controlId: finding.controlId,
      criteria: [...finding.criteria],
      outcome,
      action:
        outcome === 'audit-only' ? 'none (audit only: identity configuration is never written)' : 'none',
      message: finding.message,
      before: state,
      after: state,
      actor: null,
      exceptionId: finding.exceptionId ?? null,
      sweepId: options.runId,
    });
  }
  return inputs;
}

export async function runIdentityValidation(
  runtime: IdentityRuntime,
  options: IdentityRunOptions,
): Promise<IdentityRunResult> {
  const before = runtime.graph.requests;
  const now = runtime.clock();
  const [snapshot, exceptions] = await Promise.all([
    readTenantSnapshot(runtime.graph, { now, tenantId: runtime.tenantId, log: runtime.log }),
    runtime.exceptions.active(now),
  ]);
  const modes = Object.fromEntries(
    TENANT_CONTROLS.map((control) => [control.id, runtime.modes(control.id as ControlId)]),
  );
  const findings = evaluateTenant(snapshot, { settings: runtime.settings, exceptions, now, modes });
  const counts = { pass: 0, fail: 0, exempt: 0, notApplicable: 0 };
  for (const finding of findings) {
    if (finding.status === 'not-applicable') counts.notApplicable++;
    else if (finding.status === 'pass' || finding.status === 'fail' || finding.status === 'exempt')
      counts[finding.status]++;
  }
  const inputs = options.dryRun ? [] : identityEvidence(findings, snapshot, options);
  const records = inputs.length > 0 ? (await runtime.evidence.appendMany(inputs)).length : 0;
  const result: IdentityRunResult = {
    runId: options.runId,
    tenantId: snapshot.tenantId,
    findings,
    counts,
    records,
    graphRequests: runtime.graph.requests - before,
  };
  runtime.log(
    `identity validation ${options.runId} (tenant ${snapshot.tenantId}): ${counts.pass} pass, ${counts.fail} fail, ${counts.exempt} exempt; ${records} record(s), ${result.graphRequests} Graph request(s)`,
  );
  return result;
}

/** The run id of the daily timer: one per UTC day, so a retried or past-due invocation records once. */
export function dailyRunId(now: Date): string {
  return `identity-${now.toISOString().slice(0, 10)}`;
}
