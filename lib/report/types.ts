import type { ControlId } from '../controls/types.js';
import type { ChainProblem, Outcome } from '../evidence/types.js';
import type { Counts } from '../sweep/types.js';
import type { CriteriaMapRow, ScopeControl } from './criteria.js';
import type { FileEntry } from './populations.js';
import type { TtrSummary } from './ttr.js';

/** report.json of a period report (the HTML and CSV files say the same, for people and spreadsheets). */
export interface PeriodReport {
  kind: 'period';
  id: string;
  period: { from: string; to: string };
  generatedAt: string;
  tool: { name: 'driftwarden'; version: string };
  scope: {
    subscriptions: string[];
    controls: ScopeControl[];
    criteriaMap: CriteriaMapRow[];
  };
  verification: PeriodVerification;
  totals: Counts & { records: number; restored: number; resourceGone: number };
  /** every control of the catalog, zero-filled */
  byControl: Record<ControlId, Counts>;
  bySubscription: { subscriptionId: string; counts: Counts }[];
  outcomes: Partial<Record<Outcome, number>>;
  coverage: CoverageCell[];
  sweeps: SweepSummary[];
  timeToRemediate: TtrSummary;
  /** failing findings per week (remediated + audit-only + remediation-failed) by control */
  driftByWeek: { weekStart: string; byControl: Partial<Record<ControlId, number>> }[];
  exceptionsInForce: { weekStart: string; count: number }[];
  /** the first rows of each population (the CSV files hold all of them) */
  listed: {
    remediations: RemediationRow[];
    failures: FailureRow[];
    restores: RestoreRow[];
    exceptions: ExceptionRow[];
  };
  /** rows per population (CSV) */
  populations: Record<string, number>;
  findings: Finding[];
  files: FileEntry[];
}

export interface PeriodVerification {
  ok: boolean;
  chains: number;
  /** every record of the period's chains (the whole months), hash and link recomputed */
  records: number;
  problems: ChainProblem[];
  /** problems beyond those listed */
  moreProblems: number;
  /**
   * Through which signed digest the chains are anchored: null until digests exist (or none covers
   * these chains). Filled by an AnchorLookup when one is configured.
   */
  anchoredThrough: AnchorRef | null;
  note: string;
}

/** A signed digest that covers a chain position (the seam for signed digests, issue 11). */
export interface AnchorRef {
  digestId: string;
  signedAt: string;
  /** the chain head the digest signed */
  chainId: string;
  sequence: number;
  hash: string;
  [detail: string]: unknown;
}

export interface AnchorLookup {
  /** the first digest that anchors this chain position, or null when not (yet) anchored */
  anchorFor(chainId: string, sequence: number): Promise<AnchorRef | null>;
}

export interface CoverageCell {
  month: string;
  subscriptionId: string;
  status: 'swept' | 'gap' | 'not-due';
  sweepIds: string[];
  records: number;
}

export interface SweepSummary {
  sweepId: string;
  month: string;
  subscriptionId: string;
  records: number;
  firstRecord: string;
  lastRecord: string;
  counts: Counts;
}

export interface Finding {
  kind: 'coverage-gap' | 'verification' | 'open-failure' | 'remediation-failed';
  severity: 'high' | 'medium';
  detail: string;
}

export interface RemediationRow {
  recordId: string;
  subscriptionId: string;
  controlId: ControlId | null;
  resourceId: string;
  ruleName: string | null;
  detectedBy: string;
  detectedAt: string;
  revertedAt: string;
  ttrSeconds: number | null;
  actor: string | null;
  action: string;
  chainId: string;
  sequence: number;
  hash: string;
}

export interface FailureRow {
  recordId: string;
  subscriptionId: string;
  controlId: ControlId | null;
  resourceId: string;
  ruleName: string | null;
  outcome: Outcome;
  firstSeen: string;
  lastSeen: string;
  occurrences: number;
  /** how it ended: the outcome of the next decision on it, or 'open' at the period's end */
  ended: string;
  endedAt: string | null;
  endedRecordId: string | null;
  message: string;
}

export interface RestoreRow {
  recordId: string;
  time: string;
  subscriptionId: string;
  controlId: ControlId | null;
  resourceId: string;
  ruleName: string | null;
  approver: string | null;
  exceptionId: string | null;
  justification: string;
}

export interface ExceptionRow {
  id: string;
  controlId: ControlId;
  scope: string;
  ruleName: string | null;
  justification: string;
  ticket: string;
  requestedBy: string;
  approvedBy: string;
  approvedOn: string;
  expiresOn: string;
  revokedOn: string | null;
  revokedBy: string | null;
  ended: string;
  usesInPeriod: number;
  origin: string;
}
