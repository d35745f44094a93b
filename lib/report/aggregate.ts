import { CONTROL_IDS } from '../controls/catalog.js';
import type { ControlException, ControlId } from '../controls/types.js';
import { GENESIS_HASH, recordHash } from '../evidence/hash.js';
import { recordIdOf } from '../evidence/layout.js';
import type { ChainProblem, EvidenceRecord, Outcome } from '../evidence/types.js';
import { addCounts, countOutcome, emptyCounts } from '../sweep/counts.js';
import type { Counts } from '../sweep/types.js';
import { monthStartMs, monthsOf, type Period, weekOf, weekStart, weeksIn } from './period.js';
import type { PopulationWriters } from './populations.js';
import type { ChainHead, PeriodChain } from './source.js';
import { TtrHistogram } from './ttr.js';
import type {
  CoverageCell,
  ExceptionRow,
  FailureRow,
  Finding,
  PeriodReport,
  PeriodVerification,
  RemediationRow,
  RestoreRow,
  SweepSummary,
} from './types.js';

/**
 * The period report's single pass over the evidence: fed chain by chain, record by record (in
 * chain order), it keeps counters, a histogram, per-week buckets and the few maps whose size is
 * bounded by the estate (open findings, sweeps × subscriptions, exceptions), never by the number
 * of records; every population row goes straight to its CSV writer. Records of a period month
 * outside [from, to] still count for coverage and verification (the whole chain is checked).
 */

/** rows of each population kept for report.json / the HTML (the CSV files list every one) */
export const DEFAULT_LIST_LIMIT = 500;
const MAX_PROBLEMS = 200;
const DAY_MS = 86_400_000;

const FAILING: ReadonlySet<Outcome> = new Set(['remediation-failed', 'audit-only']);
/** a later decision with one of these outcomes ends an open finding */
const ENDING: ReadonlySet<Outcome> = new Set(['remediated', 'compliant', 'exempted', 'restored']);

interface OpenFailure {
  row: FailureRow;
  record: EvidenceRecord;
}

interface SweepStats {
  sweepId: string;
  month: string;
  subscriptionId: string;
  records: number;
  firstRecord: string;
  lastRecord: string;
  counts: Counts;
}

export interface AggregatorOptions {
  period: Period;
  /** configured subscriptions: each owes one sweep per month */
  subscriptions: readonly string[];
  writers: PopulationWriters;
  generatedAt: Date;
  listLimit?: number;
}

export class PeriodAggregator {
  private readonly period: Period;
  private readonly listLimit: number;
  private readonly writers: PopulationWriters;
  private readonly totals = { ...emptyCounts(), records: 0, restored: 0, resourceGone: 0 };
  private readonly byControl = new Map<ControlId, Counts>(CONTROL_IDS.map((id) => [id, emptyCounts()]));
  private readonly bySubscription = new Map<string, { subscriptionId: string; counts: Counts }>();
  private readonly outcomes: Partial<Record<Outcome, number>> = {};
  private readonly ttr = new TtrHistogram();
  private readonly drift: Map<ControlId, number>[];
  private readonly open = new Map<string, OpenFailure>();
  private readonly sweeps = new Map<string, SweepStats>();
  private readonly exceptionUses = new Map<string, number>();
  private readonly restoreOf = new Map<string, string>();
  private readonly listed = {
    remediations: [] as RemediationRow[],
    failures: [] as FailureRow[],
    restores: [] as RestoreRow[],
  };
  private failuresWritten = 0;
  private openAtEnd = 0;
  private readonly verification = { chains: 0, records: 0, problems: [] as ChainProblem[], more: 0 };
  private chain: PeriodChain | null = null;
  private expected = 1;
  private previousHash = GENESIS_HASH;
  private lastHash: string | null = null;

  constructor(private readonly options: AggregatorOptions) {
    this.period = options.period;
    this.writers = options.writers;
    this.listLimit = options.listLimit ?? DEFAULT_LIST_LIMIT;
    this.drift = Array.from({ length: weeksIn(this.period) }, () => new Map());
  }

  /** records counted in the period so far (progress) */
  get recordsInPeriod(): number {
    return this.totals.records;
  }

  get recordsRead(): number {
    return this.verification.records;
  }

  beginChain(chain: PeriodChain): void {
    this.chain = chain;
    this.expected = 1;
    this.previousHash = GENESIS_HASH;
    this.lastHash = null;
    this.verification.chains += 1;
  }

  private problem(kind: ChainProblem['kind'], sequence: number, detail: string): void {
    if (!this.chain) return;
    if (this.verification.problems.length >= MAX_PROBLEMS) {
      this.verification.more += 1;
      return;
    }
    this.verification.problems.push({
      kind,
      chainId: this.chain.chainId,
      sequence,
      recordId: recordIdOf(this.chain.chainId, sequence),
      detail,
    });
  }

  /** The same judgement as `driftwarden verify` (verify.ts), one record at a time. */
  private verify(position: number, record: EvidenceRecord): void {
    const chain = this.chain;
    if (!chain) throw new Error('add() before beginChain()');
    this.verification.records += 1;
    let linked = true;
    while (this.expected < position) {
      this.problem('deleted', this.expected, `record ${this.expected} is missing`);
      this.expected += 1;
      linked = false;
    }
    if (record.sequence !== position || record.chainId !== chain.chainId) {
      this.problem(
        'inserted',
        position,
        `row ${position} carries sequence ${record.sequence} of chain ${JSON.stringify(record.chainId)}`,
      );
    } else if (recordHash(record) !== record.hash) {
      this.problem('edited', position, 'stored fields do not match the record hash');
    } else if (linked && record.previousHash !== this.previousHash) {
      this.problem('broken-link', position, 'previousHash does not match the preceding record');
    }
    this.expected = position + 1;
    this.previousHash = String(record.hash);
    this.lastHash = String(record.hash);
  }

  endChain(head: ChainHead | null): void {
    const last = this.expected - 1;
    if (!head) {
      if (last > 0) this.problem('deleted', 0, 'chain head is missing');
    } else if (head.sequence > last) {
      this.problem('deleted', last + 1, `records ${last + 1}–${head.sequence} are missing (chain truncated)`);
    } else if (head.sequence < last) {
      this.problem('inserted', head.sequence + 1, `records beyond the chain head (${head.sequence})`);
    } else if (last > 0 && head.hash !== this.lastHash) {
      this.problem('edited', last, 'chain head hash does not match the last record');
    }
    this.chain = null;
  }

  async add(position: number, record: EvidenceRecord): Promise<void> {
    this.verify(position, record);
    const chain = this.chain as PeriodChain;
    const ms = Date.parse(record.time);
    if (record.trigger === 'sweep' && record.sweepId) this.countSweep(chain, record);
    if (!(ms >= this.period.startMs && ms < this.period.endMs)) return;

    this.totals.records += 1;
    this.outcomes[record.outcome] = (this.outcomes[record.outcome] ?? 0) + 1;
    if (record.outcome === 'restored') this.totals.restored += 1;
    else if (record.outcome === 'resource-gone') this.totals.resourceGone += 1;
    else countOutcome(this.totals, record.outcome);
    if (record.controlId && record.outcome !== 'restored' && record.outcome !== 'resource-gone') {
      const counts = this.byControl.get(record.controlId) ?? emptyCounts();
      countOutcome(counts, record.outcome);
      this.byControl.set(record.controlId, counts);
    }
    const subKey = record.subscriptionId.toLowerCase();
    const sub = this.bySubscription.get(subKey) ?? {
      subscriptionId: record.subscriptionId,
      counts: emptyCounts(),
    };
    if (record.outcome !== 'restored' && record.outcome !== 'resource-gone')
      countOutcome(sub.counts, record.outcome);
    this.bySubscription.set(subKey, sub);
    if (record.controlId && (record.outcome === 'remediated' || FAILING.has(record.outcome))) {
      const week = this.drift[weekOf(this.period, ms)];
      week?.set(record.controlId, (week.get(record.controlId) ?? 0) + 1);
    }
    if (record.outcome === 'exempted' && record.exceptionId)
      this.exceptionUses.set(record.exceptionId, (this.exceptionUses.get(record.exceptionId) ?? 0) + 1);

    await this.trackFailures(record);
    if (record.outcome === 'remediated') await this.remediation(record, ms);
    if (record.outcome === 'restored') await this.restore(record);
  }

  private countSweep(chain: PeriodChain, record: EvidenceRecord): void {
    const sweepId = record.sweepId as string;
    const key = `${chain.month}|${record.subscriptionId.toLowerCase()}|${sweepId}`;
    let stats = this.sweeps.get(key);
    if (!stats) {
      stats = {
        sweepId,
        month: chain.month,
        subscriptionId: record.subscriptionId,
        records: 0,
        firstRecord: record.time,
        lastRecord: record.time,
        counts: emptyCounts(),
      };
      this.sweeps.set(key, stats);
    }
    stats.records += 1;
    if (record.time < stats.firstRecord) stats.firstRecord = record.time;
    if (record.time > stats.lastRecord) stats.lastRecord = record.time;
    countOutcome(stats.counts, record.outcome);
  }

  private async remediation(record: EvidenceRecord, ms: number): Promise<void> {
    const eventMs = record.eventTime ? Date.parse(record.eventTime) : Number.NaN;
    const ttrMs = record.trigger === 'event' && Number.isFinite(eventMs) ? ms - eventMs : null;
    if (ttrMs !== null) this.ttr.add(ttrMs);
    const row: RemediationRow = {
      recordId: record.recordId,
      subscriptionId: record.subscriptionId,
      controlId: record.controlId,
      resourceId: record.resourceId,
      ruleName: record.ruleName ?? null,
      detectedBy: record.trigger === 'sweep' ? `sweep ${record.sweepId ?? ''}`.trim() : record.trigger,
      // a sweep detects and reverts in one pass: detection is the record's own time
      detectedAt: ttrMs !== null ? (record.eventTime as string) : record.time,
      revertedAt: record.time,
      ttrSeconds: ttrMs === null ? null : Math.round(ttrMs / 100) / 10,
      actor: record.actor,
      action: record.action,
      chainId: record.chainId,
      sequence: record.sequence,
      hash: record.hash,
    };
    if (this.listed.remediations.length < this.listLimit) this.listed.remediations.push(row);
    await this.writers.remediations.write({
      record_id: row.recordId,
      subscription_id: row.subscriptionId,
      control_id: row.controlId,
      criteria: record.criteria.join(' '),
      resource_id: row.resourceId,
      rule_name: row.ruleName,
      detected_by: row.detectedBy,
      event_id: record.eventId,
      detected_at: row.detectedAt,
      reverted_at: row.revertedAt,
      time_to_remediate_s: row.ttrSeconds,
      actor: row.actor,
      action: row.action,
      chain_id: row.chainId,
      sequence: row.sequence,
      hash: row.hash,
    });
  }

  private async restore(record: EvidenceRecord): Promise<void> {
    const restored = /before-state of record (\S+)/.exec(record.action)?.[1] ?? null;
    if (record.exceptionId) this.restoreOf.set(record.exceptionId, record.recordId);
    const row: RestoreRow = {
      recordId: record.recordId,
      time: record.time,
      subscriptionId: record.subscriptionId,
      controlId: record.controlId,
      resourceId: record.resourceId,
      ruleName: record.ruleName ?? null,
      approver: record.actor,
      exceptionId: record.exceptionId,
      justification: record.message,
    };
    if (this.listed.restores.length < this.listLimit) this.listed.restores.push(row);
    await this.writers.restores.write({
      record_id: row.recordId,
      time: row.time,
      subscription_id: row.subscriptionId,
      control_id: row.controlId,
      resource_id: row.resourceId,
      rule_name: row.ruleName,
      approver: row.approver,
      exception_id: row.exceptionId,
      justification: row.justification,
      restored_record: restored,
      chain_id: record.chainId,
      sequence: record.sequence,
      hash: record.hash,
    });
  }

  /** Open findings by (resource, control, rule): a failure row is written once it ends (or at the end). */
  private async trackFailures(record: EvidenceRecord): Promise<void> {
    if (record.outcome === 'resource-gone') {
      const prefix = record.resourceId.toLowerCase();
      for (const [key, open] of this.open) {
        const id = open.record.resourceId.toLowerCase();
        if (id === prefix || id.startsWith(`${prefix}/`)) await this.endFailure(key, open, record);
      }
      return;
    }
    if (!record.controlId) return;
    const key = `${record.resourceId.toLowerCase()}|${record.controlId}|${(record.ruleName ?? '').toLowerCase()}`;
    const open = this.open.get(key);
    if (FAILING.has(record.outcome)) {
      if (open) {
        open.row.occurrences += 1;
        open.row.lastSeen = record.time;
        return;
      }
      this.open.set(key, {
        record,
        row: {
          recordId: record.recordId,
          subscriptionId: record.subscriptionId,
          controlId: record.controlId,
          resourceId: record.resourceId,
          ruleName: record.ruleName ?? null,
          outcome: record.outcome,
          firstSeen: record.time,
          lastSeen: record.time,
          occurrences: 1,
          ended: 'open',
          endedAt: null,
          endedRecordId: null,
          message: record.message,
        },
      });
    } else if (open && ENDING.has(record.outcome)) await this.endFailure(key, open, record);
  }

  private async endFailure(key: string, open: OpenFailure, ending: EvidenceRecord | null): Promise<void> {
    this.open.delete(key);
    if (ending) {
      open.row.ended = ending.outcome;
      open.row.endedAt = ending.time;
      open.row.endedRecordId = ending.recordId;
    } else this.openAtEnd += 1;
    if (this.listed.failures.length < this.listLimit) this.listed.failures.push(open.row);
    this.failuresWritten += 1;
    const { row, record } = open;
    await this.writers.failures.write({
      record_id: row.recordId,
      subscription_id: row.subscriptionId,
      control_id: row.controlId,
      resource_id: row.resourceId,
      rule_name: row.ruleName,
      outcome: row.outcome,
      first_seen: row.firstSeen,
      last_seen: row.lastSeen,
      occurrences: row.occurrences,
      ended: row.ended,
      ended_at: row.endedAt,
      ended_record_id: row.endedRecordId,
      message: row.message,
      chain_id: record.chainId,
      sequence: record.sequence,
      hash: record.hash,
    });
  }

  /** Writes the remaining populations and returns the report (without its file manifest). */
  async finish(input: {
    id: string;
    version: string;
    exceptions: readonly ControlException[];
    scope: PeriodReport['scope'];
  }): Promise<Omit<PeriodReport, 'files'>> {
    for (const [key, open] of [...this.open]) await this.endFailure(key, open, null);
    const coverage = this.coverage();
    for (const cell of coverage) {
      const sweeps = cell.sweepIds.map((id) =>
        this.sweeps.get(`${cell.month}|${cell.subscriptionId.toLowerCase()}|${id}`),
      );
      for (const stats of sweeps.length ? sweeps : [undefined]) {
        await this.writers.sweeps.write({
          month: cell.month,
          subscription_id: cell.subscriptionId,
          status: cell.status,
          sweep_id: stats?.sweepId ?? null,
          records: stats?.records ?? 0,
          first_record: stats?.firstRecord ?? null,
          last_record: stats?.lastRecord ?? null,
          pass: stats?.counts.pass ?? 0,
          remediated: stats?.counts.remediated ?? 0,
          audit: stats?.counts.audit ?? 0,
          failed: stats?.counts.failed ?? 0,
          exempt: stats?.counts.exempt ?? 0,
        });
      }
    }
    const exceptions = this.exceptionRows(input.exceptions);
    for (const e of exceptions) {
      await this.writers.exceptions.write({
        exception_id: e.id,
        control_id: e.controlId,
        scope: e.scope,
        rule_name: e.ruleName,
        justification: e.justification,
        ticket: e.ticket,
        requested_by: e.requestedBy,
        approved_by: e.approvedBy,
        approved_on: e.approvedOn,
        expires_on: e.expiresOn,
        revoked_on: e.revokedOn,
        revoked_by: e.revokedBy,
        ended: e.ended,
        uses_in_period: e.usesInPeriod,
        origin: e.origin,
      });
    }
    const verification = this.verificationResult();
    const findings: Finding[] = [
      ...coverage
        .filter((cell) => cell.status === 'gap')
        .map(
          (cell): Finding => ({
            kind: 'coverage-gap',
            severity: 'high',
            detail: `no monthly sweep evidence for subscription ${cell.subscriptionId} in ${cell.month}`,
          }),
        ),
      ...(verification.ok
        ? []
        : [
            {
              kind: 'verification' as const,
              severity: 'high' as const,
              detail: `${verification.problems.length + verification.moreProblems} evidence chain problem(s): see Evidence verification`,
            },
          ]),
      ...(this.totals.failed > 0
        ? [
            {
              kind: 'remediation-failed' as const,
              severity: 'high' as const,
              detail: `${this.totals.failed} remediation attempt(s) failed: see failures.csv`,
            },
          ]
        : []),
      ...(this.openAtEnd > 0
        ? [
            {
              kind: 'open-failure' as const,
              severity: 'medium' as const,
              detail: `${this.openAtEnd} finding(s) still open at the end of the period (audit mode or failed): see failures.csv`,
            },
          ]
        : []),
    ];
    const weeks = this.drift.map((week, index) => ({
      weekStart: weekStart(this.period, index),
      byControl: Object.fromEntries(week) as Partial<Record<ControlId, number>>,
    }));
    return {
      kind: 'period',
      id: input.id,
      period: { from: this.period.from, to: this.period.to },
      generatedAt: this.options.generatedAt.toISOString(),
      tool: { name: 'driftwarden', version: input.version },
      scope: input.scope,
      verification,
      totals: this.totals,
      byControl: Object.fromEntries(this.byControl) as Record<ControlId, Counts>,
      bySubscription: [...this.bySubscription.values()].sort((a, b) =>
        a.subscriptionId.localeCompare(b.subscriptionId),
      ),
      outcomes: this.outcomes,
      coverage,
      sweeps: this.sweepSummaries(),
      timeToRemediate: this.ttr.summary(),
      driftByWeek: weeks,
      exceptionsInForce: this.exceptionsInForce(input.exceptions),
      listed: { ...this.listed, exceptions: exceptions.slice(0, this.listLimit) },
      populations: {
        remediations: this.writers.remediations.rows,
        failures: this.failuresWritten,
        restores: this.writers.restores.rows,
        exceptions: exceptions.length,
        sweeps: this.writers.sweeps.rows,
      },
      findings,
    };
  }

  private verificationResult(): PeriodVerification {
    const { chains, records, problems, more } = this.verification;
    return {
      ok: problems.length === 0 && more === 0,
      chains,
      records,
      problems,
      moreProblems: more,
      anchoredThrough: null,
      note: 'Every record of the chains of the period’s months was re-hashed and its link to the previous record checked; `driftwarden verify` also cross-checks the log index.',
    };
  }

  private sweepSummaries(): SweepSummary[] {
    return [...this.sweeps.values()]
      .map((s) => ({ ...s, counts: addCounts(emptyCounts(), s.counts) }))
      .sort((a, b) => a.month.localeCompare(b.month) || a.subscriptionId.localeCompare(b.subscriptionId));
  }

  /** Every month × subscription owes a sweep; one not yet due (the month began < 1 day ago) is not a gap. */
  private coverage(): CoverageCell[] {
    const subscriptions = new Map(this.options.subscriptions.map((id) => [id.toLowerCase(), id]));
    for (const s of this.sweeps.values()) {
      if (!subscriptions.has(s.subscriptionId.toLowerCase()))
        subscriptions.set(s.subscriptionId.toLowerCase(), s.subscriptionId);
    }
    const months = monthsOf(this.period);
    const now = this.options.generatedAt.getTime();
    const cells: CoverageCell[] = [];
    for (const month of months) {
      for (const [key, subscriptionId] of [...subscriptions].sort(([a], [b]) => a.localeCompare(b))) {
        const sweeps = [...this.sweeps.values()].filter(
          (s) => s.month === month && s.subscriptionId.toLowerCase() === key,
        );
        const records = sweeps.reduce((n, s) => n + s.records, 0);
        const due = monthStartMs(month) + DAY_MS <= now;
        cells.push({
          month,
          subscriptionId,
          status: sweeps.length > 0 ? 'swept' : due ? 'gap' : 'not-due',
          sweepIds: sweeps.map((s) => s.sweepId).sort(),
          records,
        });
      }
    }
    return cells;
  }

  /** Exceptions in force at any time of the period, with their lifecycle. */
  private exceptionRows(exceptions: readonly ControlException[]): ExceptionRow[] {
    const { startMs, endMs } = this.period;
    return exceptions
      .filter((e) => {
        const end = Math.min(Date.parse(e.expiresOn), e.revokedOn ? Date.parse(e.revokedOn) : Infinity);
        return Date.parse(e.approvedOn) < endMs && end >= startMs;
      })
      .sort((a, b) => a.approvedOn.localeCompare(b.approvedOn) || a.id.localeCompare(b.id))
      .map((e) => {
        const endAt = Math.min(endMs, this.options.generatedAt.getTime());
        const ended =
          e.revokedOn && Date.parse(e.revokedOn) < endAt
            ? `revoked ${e.revokedOn}`
            : Date.parse(e.expiresOn) <= endAt
              ? `expired ${e.expiresOn}`
              : 'in force at period end';
        const restore = this.restoreOf.get(e.id);
        return {
          id: e.id,
          controlId: e.controlId,
          scope: e.scope,
          ruleName: e.ruleName ?? null,
          justification: e.justification,
          ticket: e.ticket,
          // the API records the approving principal as the creator: requester and approver are one
          requestedBy: e.approvedBy,
          approvedBy: e.approvedBy,
          approvedOn: e.approvedOn,
          expiresOn: e.expiresOn,
          revokedOn: e.revokedOn ?? null,
          revokedBy: e.revokedBy ?? null,
          ended,
          usesInPeriod: this.exceptionUses.get(e.id) ?? 0,
          origin: restore ? `restore record ${restore}` : 'approved exception',
        };
      });
  }

  private exceptionsInForce(exceptions: readonly ControlException[]): { weekStart: string; count: number }[] {
    return this.drift.map((_, index) => {
      const from = Date.parse(weekStart(this.period, index));
      const to = Math.min(from + 7 * DAY_MS, this.period.endMs);
      const count = exceptions.filter((e) => {
        const end = Math.min(Date.parse(e.expiresOn), e.revokedOn ? Date.parse(e.revokedOn) : Infinity);
        return Date.parse(e.approvedOn) < to && end > from;
      }).length;
      return { weekStart: weekStart(this.period, index), count };
    });
  }
}
