import type { ControlId } from '../controls/types.js';
import type { Outcome } from '../evidence/types.js';
import type { Counts, SubscriptionResult, SweepResult } from './types.js';

/** The counters in reading order: report columns (CSV, HTML) and the CLI summary table. */
export const COUNT_KEYS: readonly (keyof Counts)[] = [
  'evaluated',
  'pass',
  'fail',
  'remediated',
  'audit',
  'failed',
  'exempt',
  'skipped',
];

export function emptyCounts(): Counts {
  return { evaluated: 0, pass: 0, fail: 0, remediated: 0, audit: 0, failed: 0, exempt: 0, skipped: 0 };
}

/** Adds one decision (by its evidence outcome) to `counts`. */
export function countOutcome(counts: Counts, outcome: Outcome): void {
  counts.evaluated += 1;
  switch (outcome) {
    case 'compliant':
      counts.pass += 1;
      break;
    case 'remediated':
      counts.fail += 1;
      counts.remediated += 1;
      break;
    case 'audit-only':
      counts.fail += 1;
      counts.audit += 1;
      break;
    case 'remediation-failed':
      counts.fail += 1;
      counts.failed += 1;
      break;
    case 'exempted':
      counts.exempt += 1;
      break;
    default:
      counts.skipped += 1;
  }
}

export function addCounts(into: Counts, from: Counts): Counts {
  for (const key of Object.keys(into) as (keyof Counts)[]) into[key] += from[key];
  return into;
}

export function summarize(
  sweepId: string,
  dryRun: boolean,
  startedAt: string,
  finishedAt: string,
  subscriptions: SubscriptionResult[],
): SweepResult {
  const totals = emptyCounts();
  const byControl: Partial<Record<ControlId, Counts>> = {};
  for (const result of subscriptions) {
    addCounts(totals, result.counts);
    for (const [control, counts] of Object.entries(result.byControl) as [ControlId, Counts][]) {
      byControl[control] = addCounts(byControl[control] ?? emptyCounts(), counts);
    }
  }
  return { sweepId, dryRun, startedAt, finishedAt, subscriptions, totals, byControl };
}
