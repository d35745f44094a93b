import type { ControlId, RelatedResources } from '../controls/types.js';
import type { EvidenceInput, EvidenceRecord, Outcome, VerifyResult } from '../evidence/types.js';
import type { CrossCheckResult } from '../policy/cross-check.js';

/**
 * Counts per control / subscription. `fail` is drift found and not covered by an exception;
 * it splits into `remediated` (reverted), `audit` (left in place: audit mode or dry run) and
 * `failed` (remediation attempted, ARM refused). `exempt` = failing but under an approved
 * exception; `pass` = compliant; `skipped` = control off or resource gone mid-sweep.
 */
export interface Counts {
  evaluated: number;
  pass: number;
  fail: number;
  remediated: number;
  audit: number;
  failed: number;
  exempt: number;
  skipped: number;
}

/** A non-compliant decision worth listing in the report (remediations, failures, audit findings, exemptions). */
export interface SweepItem {
  /** evidence record id (null in a dry run: nothing was written) */
  recordId: string | null;
  time: string | null;
  subscriptionId: string;
  resourceId: string;
  resourceType: string;
  controlId: ControlId | null;
  ruleName: string | null;
  outcome: Outcome;
  action: string;
  message: string;
  exceptionId: string | null;
}

export interface SweepError {
  subscriptionId: string;
  /** null: the whole subscription (listing failed); else the resource that could not be decided */
  resourceId: string | null;
  message: string;
  statusCode: number | null;
  /** worth retrying (throttling, 5xx, network); a queue work item is retried for these */
  transient: boolean;
}

export interface SubscriptionResult {
  subscriptionId: string;
  /** ok: everything decided; partial: some resources failed; error: listing failed */
  status: 'ok' | 'partial' | 'error';
  startedAt: string;
  finishedAt: string;
  /** resources listed (accounts, containers, NSGs) */
  resources: number;
  counts: Counts;
  byControl: Partial<Record<ControlId, Counts>>;
  items: SweepItem[];
  errors: SweepError[];
}

export interface SweepResult {
  sweepId: string;
  dryRun: boolean;
  startedAt: string;
  finishedAt: string;
  subscriptions: SubscriptionResult[];
  totals: Counts;
  byControl: Partial<Record<ControlId, Counts>>;
}

export interface SweepProgress {
  subscriptionId: string;
  /** resources listed so far, and whether listing has finished (then `listed` is the total) */
  listed: number;
  listingDone: boolean;
  /** resources fully decided */
  decided: number;
  remediated: number;
  failed: number;
}

/** What the sweep hands the remediation engine with each listed resource (see lib/remediation/engine.ts). */
export interface SweepDecisionContext {
  trigger: 'sweep';
  idempotencyPrefix: string;
  sweepId: string;
  /** this run of the sweep id (see DecisionContext.runId) */
  runId: string;
  eventId: null;
  correlationId: string;
  actor: null;
  dryRun: boolean;
  /** the listed resource's related resources (cross-resource controls), from the sweep's lists */
  related?: RelatedResources;
}

/**
 * The remediation engine (lib/remediation/engine.ts) as the sweep uses it: the event path's
 * decision code and evidence chain. `decide` acts on a listed resource and returns its evidence
 * inputs; `record` stores a batch (appendMany) and closes the write intents of those resources.
 */
export interface SweepDecider {
  decide(raw: unknown, ctx: SweepDecisionContext): Promise<EvidenceInput[]>;
  record(
    inputs: EvidenceInput[],
    ctx?: Pick<SweepDecisionContext, 'idempotencyPrefix'>,
  ): Promise<EvidenceRecord[]>;
}

/** The monthly report: everything an auditor reads, rendered to JSON / CSV / HTML by report.ts. */
export interface SweepReport {
  sweepId: string;
  generatedAt: string;
  dryRun: boolean;
  /** subscriptions the sweep was meant to cover, and those whose result is present */
  expectedSubscriptions: string[];
  subscriptions: Omit<SubscriptionResult, 'items' | 'byControl'>[];
  totals: Counts;
  byControl: Partial<Record<ControlId, Counts>>;
  remediations: SweepItem[];
  /** remediation failures and findings left open (audit mode / dry run) */
  failures: SweepItem[];
  exemptions: SweepItem[];
  errors: SweepError[];
  exceptions: { inForce: ReportException[]; expired: ReportException[]; revoked: ReportException[] };
  verification: VerifyResult | { ok: false; error: string };
  /** Azure Policy's compliance states reconciled with driftwarden's verdicts (lib/policy), when configured */
  policyCrossCheck?: CrossCheckResult;
}

export interface ReportException {
  id: string;
  controlId: string;
  scope: string;
  ruleName: string | null;
  justification: string;
  ticket: string;
  approvedBy: string;
  approvedOn: string;
  expiresOn: string;
  revokedOn: string | null;
  revokedBy: string | null;
  /** a management-port exception wider than one NSG, asked for explicitly: marked in the report */
  wideScope?: true;
}
