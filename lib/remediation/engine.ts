import { requireResourceId } from '../azure/resource-id.js';
import type {
  ControlException,
  ControlId,
  EvaluationSettings,
  Finding,
  Mode,
  NormalizedResource,
} from '../controls/types.js';
import { mapLimit } from '../evidence/concurrency.js';
import type { EvidenceInput, EvidenceRecord, EvidenceStore } from '../evidence/types.js';
import type { ExceptionStore } from '../exceptions/types.js';
import { normalizeResource } from '../resources/normalize.js';
import { isTransient, toError } from '../util/errors.js';
import {
  decideResource,
  failedRecords,
  intentWrites,
  notTaken,
  type PlannedWrite,
  remediatedRecords,
} from './decision.js';
import { inFlight } from './in-flight.js';
import { type Prior, WriteIntentLeases } from './lease.js';
import { clip, goneInput } from './records.js';
import { controlState, snapshotOf } from './state.js';
import {
  type DecisionContext,
  type Intent,
  type IntentStore,
  type Notifier,
  PreconditionFailedError,
  ResourceBusyError,
  type ResourceGateway,
  type ResourceSnapshot,
} from './types.js';

/**
 * The remediation core shared by the event path, the sweep and manual runs: read the resource,
 * decide (decision.ts), claim the write intent (lease.ts), write ARM, store the evidence, close
 * the intent, notify. A redelivery that finds an expired intent records what its writes did
 * (recovery.ts); events also record `resource-gone` when the re-read finds nothing.
 */

export interface EngineDeps {
  gateway: ResourceGateway;
  evidence: EvidenceStore;
  exceptions: ExceptionStore;
  intents: IntentStore;
  settings: EvaluationSettings;
  /** mode in force per control (catalog default, overrides, global audit switch): see modes.ts */
  modes: (id: ControlId) => Mode;
  clock: () => Date;
  log: (line: string) => void;
  notifier?: Notifier;
  /** how long an intent's holder is presumed alive; default 60 s */
  leaseMs?: number;
  /**
   * re-read + re-evaluate rounds after a 412 without progress; default 5. In Azure a rule's ETag
   * is its NSG's, so every sibling edit costs a round; when they run out the write is recorded
   * `remediation-failed` (the next event or the sweep finishes the job).
   */
  maxConflictRetries?: number;
  /** first backoff before a re-read after a 412, doubled per round, full jitter; default 100 ms */
  conflictBackoffMs?: number;
  /** jitter source (0..1); default Math.random */
  random?: () => number;
  /** how long a duplicate delivery waits for an in-flight one before failing (redelivery); default 10 s */
  inProgressWaitMs?: number;
  /** how long the loop guard's announcement of one of our writes stays valid; default 10 min */
  ownWriteMs?: number;
}

/** The id a write's Event Grid event carries: the rule for a rule plan, the setting for a diagnostic setting, else the resource. */
function writtenId(write: PlannedWrite, snapshot: ResourceSnapshot): string {
  const plan = write.plan;
  if (plan.kind === 'diagnostic-setting')
    return `${plan.scopeId}/providers/Microsoft.Insights/diagnosticSettings/${plan.name}`;
  if (
    (plan.kind === 'nsg-rule-deny' || plan.kind === 'nsg-rule-remove-sources') &&
    snapshot.target !== 'securityRule'
  )
    return `${snapshot.resourceId}/securityRules/${plan.ruleName}`;
  return snapshot.resourceId;
}

type Attempt =
  | { kind: 'done'; inputs: EvidenceInput[]; intent: Intent | null }
  | {
      kind: 'conflict';
      inputs: EvidenceInput[];
      intent: Intent | null;
      progressed: boolean;
      /** `remediation-failed` for the writes the 412 stopped, should the budget run out now */
      giveUp(reason: string): EvidenceInput[];
    };

function isAbort(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'AbortError' || name === 'TimeoutError';
}

export class RemediationEngine {
  private readonly maxConflictRetries: number;
  private readonly conflictBackoffMs: number;
  private readonly random: () => number;
  private readonly leases: WriteIntentLeases;

  constructor(private readonly deps: EngineDeps) {
    this.maxConflictRetries = deps.maxConflictRetries ?? 5;
    this.conflictBackoffMs = deps.conflictBackoffMs ?? 100;
    this.random = deps.random ?? Math.random;
    this.leases = new WriteIntentLeases({
      intents: deps.intents,
      clock: deps.clock,
      log: deps.log,
      leaseMs: deps.leaseMs ?? 60_000,
      inProgressWaitMs: deps.inProgressWaitMs ?? 10_000,
    });
  }

  /**
   * Event and manual path: re-read the resource from ARM, decide, store the evidence, close the
   * intent, notify. Returns the records written (empty for a duplicate or a compliant re-read).
   * Throws on transient failures (ARM 429/5xx/409, evidence store down) so the platform retries.
   */
  async handleResourceId(
    resourceId: string,
    ctx: DecisionContext,
    outcome?: { duplicate: boolean },
  ): Promise<EvidenceRecord[]> {
    const canonicalId = requireResourceId(resourceId).canonicalId;
    const intent = await this.leases.prior(ctx, canonicalId);
    if (intent === 'duplicate') {
      if (outcome) outcome.duplicate = true; // coalesced events: let the next one do the re-read
      return [];
    }
    const snapshot = await this.deps.gateway.read(canonicalId);
    const inputs =
      snapshot === null ? [goneInput(canonicalId, ctx)] : await this.decideSnapshot(snapshot, ctx, intent);
    if (ctx.dryRun) {
      for (const input of inputs)
        this.deps.log(
          `dry run: ${input.resourceId} ${input.controlId ?? '-'} ${input.outcome}: ${input.action}`,
        );
      return [];
    }
    const records = await this.record(inputs, ctx);
    // an intent recovered here may have produced no new input (e.g. its rule was deleted since)
    const key = this.leases.keyOf(ctx, canonicalId);
    if (this.leases.isOpen(key)) await this.leases.close(key);
    return records;
  }

  /**
   * Decides on a resource already read (sweep lists are fresh): evaluate, act per mode, and
   * return the evidence inputs WITHOUT storing them — the caller stores them (sweep: batched with
   * record(); event path: handleResourceId does it). An intent opened for a write stays pending
   * until record() closes it, so a crash in between is recovered by the next run with this prefix.
   */
  async decide(raw: unknown, ctx: DecisionContext): Promise<EvidenceInput[]> {
    const listed = snapshotOf(raw);
    const intent = await this.leases.prior(ctx, listed.resourceId);
    if (intent === 'duplicate') return [];
    // listed mid-operation: judge it once the operation is over (the gateway's read waits, bounded)
    const snapshot = inFlight(listed.raw) ? await this.deps.gateway.read(listed.resourceId) : listed;
    if (snapshot === null) return [goneInput(listed.resourceId, ctx)];
    return this.decideSnapshot(snapshot, ctx, intent);
  }

  /**
   * Stores decisions (one append, or appendMany for several) and then marks the intents of the
   * resources involved done. If storing fails, the intents' leases are released so a retry can
   * take over at once, and the error propagates.
   */
  async record(
    inputs: EvidenceInput[],
    ctx?: Pick<DecisionContext, 'idempotencyPrefix'>,
  ): Promise<EvidenceRecord[]> {
    const closing = this.leases.recordedBy(inputs, ctx?.idempotencyPrefix);
    let records: EvidenceRecord[];
    try {
      records =
        inputs.length === 0
          ? []
          : inputs.length === 1
            ? [await this.deps.evidence.append(inputs[0] as EvidenceInput)]
            : await this.deps.evidence.appendMany(inputs);
    } catch (error) {
      await Promise.all(closing.map((key) => this.leases.release(key)));
      throw error;
    }
    // intents live in 256 partitions (independent rows): close a chunk's intents together
    await mapLimit(closing, 16, (key) => this.leases.close(key));
    await this.notify(records);
    return records;
  }

  /** Decides, re-reading and re-evaluating after a 412 (bounded), and returns the inputs. */
  private async decideSnapshot(
    first: ResourceSnapshot,
    ctx: DecisionContext,
    prior: Exclude<Prior, 'duplicate'>,
  ): Promise<EvidenceInput[]> {
    const completed = prior !== null && 'completed' in prior;
    const recovered = prior !== null && !('completed' in prior) ? prior : null;
    // first record per idempotency key wins: a later round does not re-record what landed before
    const byKey = new Map<string, EvidenceInput>();
    const keep = (input: EvidenceInput) => {
      if (!byKey.has(input.idempotencyKey)) byKey.set(input.idempotencyKey, input);
    };
    let snapshot: ResourceSnapshot | null = first;
    let held = recovered;
    let conflicts = 0;
    let rounds = 0;
    for (;;) {
      if (snapshot === null) {
        // gone between our read and our write; what we already changed stays recorded
        keep(goneInput(first.resourceId, ctx));
        return [...byKey.values()];
      }
      // after a 412 the state read is someone else's newer change, not the event caller's
      const attempt = await this.attempt(snapshot, rounds > 0 ? { ...ctx, afterConflict: true } : ctx, held);
      rounds++;
      // an earlier run wrote this resource and nothing needs writing now: its records stand
      if (completed && attempt.kind === 'done' && attempt.intent === null) return [];
      attempt.inputs.forEach(keep);
      held = attempt.intent;
      if (attempt.kind === 'done') return [...byKey.values()];
      conflicts = attempt.progressed ? 0 : conflicts + 1;
      if (conflicts > this.maxConflictRetries) {
        const reason = `the resource kept changing between our read and our write: ${conflicts} conflicting writes (412) in a row; the next event or the sweep retries`;
        this.deps.log(`giving up on ${first.resourceId}: ${reason}`);
        attempt.giveUp(reason).forEach(keep);
        return [...byKey.values()];
      }
      this.deps.log(`412 on ${first.resourceId}: re-reading and re-evaluating (round ${conflicts})`);
      // full jitter: writers refused by the same sibling edit do not come back in lockstep
      const backoff = this.conflictBackoffMs * 2 ** (conflicts - 1);
      await new Promise((resolve) => setTimeout(resolve, this.random() * Math.min(backoff, 2000)));
      snapshot = await this.deps.gateway.read(first.resourceId);
    }
  }

  /** One round: decide on this read, announce the writes (intent), then make them, one ARM call each. */
  private async attempt(
    snapshot: ResourceSnapshot,
    ctx: DecisionContext,
    held: Intent | null,
  ): Promise<Attempt> {
    const now = this.deps.clock();
    let resource: NormalizedResource | null;
    try {
      resource = normalizeResource(snapshot.raw);
    } catch (error) {
      // ARM returned something no control can judge: redelivery will not change that
      this.deps.log(`cannot evaluate ${snapshot.resourceId}: ${toError(error).message}`);
      return { kind: 'done', inputs: [], intent: held };
    }
    if (!resource) return { kind: 'done', inputs: [], intent: held };
    const related = ctx.related ?? (await this.deps.gateway.related?.(resource));
    const decide = (exceptions: readonly ControlException[]) =>
      decideResource({
        snapshot,
        resource,
        ctx,
        settings: this.deps.settings,
        exceptions,
        now,
        modes: this.deps.modes,
        recovered: held,
        ...(related ? { related } : {}),
      });
    let decision = decide(await this.deps.exceptions.active(now));
    // A cached view of the exceptions may predate one approved a moment ago on another instance
    // (a restore's exception, created just before its ARM write raised this event): never revert
    // on it. Writes are rare, so the fresh read costs little; exempting stays within the bound.
    if (decision.writes.length > 0 && this.deps.exceptions.activeUncached)
      decision = decide(await this.deps.exceptions.activeUncached(now));
    const inputs = [...decision.records];
    if (decision.writes.length === 0) return { kind: 'done', inputs, intent: held };

    const scope = { snapshot, resource, ctx, ...(related ? { related } : {}) };
    const intent = await this.leases.claim(
      ctx,
      snapshot.resourceId,
      intentWrites(held, decision.writes),
      held,
    );
    let progressed = false;
    for (const [index, write] of decision.writes.entries()) {
      try {
        // announced before the write: its event can arrive before ARM's answer does
        await this.deps.intents.markOwnWrite(
          writtenId(write, snapshot),
          new Date(this.deps.clock().getTime() + (this.deps.ownWriteMs ?? 600_000)),
        );
        const written = await this.deps.gateway.apply(write.plan, snapshot);
        progressed = true;
        const failing = await this.confirm(write, written);
        if (failing.length === 0) {
          inputs.push(...remediatedRecords(scope, write, written, intent.writeRun));
        } else {
          const message = `ARM accepted the write but the state did not take: ${failing.map((f) => f.controlId).join(', ')} still failing on the state read back.`;
          this.deps.log(`remediation not confirmed for ${snapshot.resourceId}: ${message}`);
          inputs.push(
            ...failedRecords(scope, write, message, intent.writeRun, (finding) =>
              afterState(written, finding),
            ),
          );
        }
      } catch (error) {
        if (error instanceof PreconditionFailedError) {
          // ARM refused this write, so it did not land: take it off the intent, or a later
          // recovery would claim a remediation someone else made.
          const remaining = intent.writes.filter((announced) => announced.writeKey !== write.writeKey);
          const narrowed = await this.leases.claim(ctx, snapshot.resourceId, remaining, intent);
          const giveUp = (reason: string) =>
            decision.writes
              .slice(index)
              .flatMap((stopped) =>
                failedRecords(scope, stopped, `Remediation not applied: ${reason}.`, narrowed.writeRun),
              );
          return { kind: 'conflict', inputs, intent: narrowed, progressed, giveUp };
        }
        if (isTransient(error) || isAbort(error)) {
          await this.leases.release(intent.key);
          throw error;
        }
        const message = clip(
          error instanceof ResourceBusyError
            ? `Remediation not applied: ${error.message}; the next event or the sweep retries.`
            : `ARM refused the remediation: ${toError(error).message}`,
        );
        this.deps.log(`remediation failed for ${snapshot.resourceId}: ${message}`);
        inputs.push(...failedRecords(scope, write, message, intent.writeRun));
      }
    }
    return { kind: 'done', inputs, intent };
  }

  /**
   * The findings of `write` that still fail after it: judged on ARM's answer when it returned the
   * resource, else on a re-read. Never trusts a 200 alone.
   */
  private async confirm(write: PlannedWrite, written: ResourceSnapshot): Promise<Finding[]> {
    const judged = notTaken(write, written, this.deps.settings);
    if (judged !== null) return judged;
    const reread = await this.deps.gateway.read(written.resourceId);
    if (reread === null) return write.findings; // gone right after our write: nothing took
    return notTaken(write, reread, this.deps.settings) ?? write.findings;
  }

  private async notify(records: EvidenceRecord[]): Promise<void> {
    const worth = records.filter((record) => record.outcome !== 'compliant' && record.outcome !== 'skipped');
    if (!this.deps.notifier || worth.length === 0) return;
    try {
      await this.deps.notifier.remediationRecorded(worth);
    } catch (error) {
      // evidence is the system of record; a missed notification must not fail the remediation
      this.deps.log(`warning: notification failed: ${toError(error).message}`);
    }
  }
}

/** What the record of an unconfirmed write shows as `after`: the state ARM reported. */
function afterState(written: ResourceSnapshot, finding: Finding): unknown {
  if (written.target === 'securityRule') return written.raw;
  const resource = normalizeResource(written.raw);
  return resource
    ? controlState(finding.controlId, resource, written, finding.ruleName, written.related)
    : null;
}
