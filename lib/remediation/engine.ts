import { ARM_TYPE_NAMES, requireResourceId } from '../azure/resource-id.js';
import { CONTROL_IDS, getControl } from '../controls/catalog.js';
import type {
  ControlId,
  EvaluationSettings,
  Finding,
  Mode,
  NormalizedResource,
  RemediationPlan,
} from '../controls/types.js';
import { evaluateResource } from '../evaluate.js';
import type { EvidenceInput, EvidenceRecord, EvidenceStore, Outcome, Trigger } from '../evidence/types.js';
import type { ExceptionStore } from '../exceptions/types.js';
import { normalizeResource } from '../resources/normalize.js';
import { isTransient, toError } from '../util/errors.js';
import { inFlight } from './in-flight.js';
import {
  controlState,
  describePlan,
  describeRuleChange,
  mergePlans,
  rawRule,
  snapshotOf,
  writeKeyOf,
} from './state.js';
import {
  InProgressError,
  type Intent,
  type IntentStore,
  type IntentWrite,
  type Notifier,
  PreconditionFailedError,
  ResourceBusyError,
  type ResourceGateway,
  type ResourceSnapshot,
} from './types.js';

/**
 * The remediation core shared by the event path, the sweep and manual runs: evaluate a resource,
 * act per control mode, and describe every decision as evidence.
 *
 * No remediation without its record: before any ARM write the engine stores an *intent* (the
 * before-state of every planned write) under the idempotency prefix + resource id. Only then
 * does it write ARM, append evidence and mark the intent done. When the invocation dies or the
 * evidence store is down after the write, the intent survives; the redelivery finds it, sees the
 * resource compliant, and records `remediated` from the intent's before-state and the current
 * state. If the intent cannot be written, nothing has touched ARM yet and the error propagates.
 *
 * What is recorded:
 * - every failing control: remediated | remediation-failed | audit-only | exempted;
 * - sweep and manual runs also record passing controls (`compliant`) and controls switched off
 *   (`skipped`) — continuous evidence that the control held;
 * - events record only the failing controls' decisions, plus `resource-gone` when the re-read
 *   finds nothing. A compliant re-read (stale or duplicate event, or our own write) records
 *   nothing: the log then shows changes, not noise.
 */

export interface DecisionContext {
  trigger: Trigger;
  /** 'event:<eventId>' or 'sweep:<sweepId>' (or 'manual:<id>'): makes every record idempotent */
  idempotencyPrefix: string;
  eventId: string | null;
  correlationId: string | null;
  /** who caused the change (event claims), recorded on every record */
  actor: string | null;
  sweepId?: string | null;
  /** evaluate and describe what would be done; no intents, no ARM writes */
  dryRun?: boolean;
}

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
}

type Json = Record<string, unknown>;

interface WriteGroup {
  writeKey: string;
  plan: RemediationPlan;
  findings: Finding[];
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

const MAX_MESSAGE = 1000;
const ALL_ON: Partial<Record<ControlId, Mode>> = Object.fromEntries(
  CONTROL_IDS.map((id) => [id, 'remediate']),
);

function clip(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > MAX_MESSAGE ? `${line.slice(0, MAX_MESSAGE - 3)}...` : line;
}

function isAbort(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'AbortError' || name === 'TimeoutError';
}

export class RemediationEngine {
  private readonly leaseMs: number;
  private readonly maxConflictRetries: number;
  private readonly conflictBackoffMs: number;
  private readonly random: () => number;
  private readonly inProgressWaitMs: number;
  /** intents this process opened and has not completed yet (sweep: closed by record()) */
  private readonly openIntents = new Map<string, { prefix: string; resourceId: string }>();

  constructor(private readonly deps: EngineDeps) {
    this.leaseMs = deps.leaseMs ?? 60_000;
    this.maxConflictRetries = deps.maxConflictRetries ?? 5;
    this.conflictBackoffMs = deps.conflictBackoffMs ?? 100;
    this.random = deps.random ?? Math.random;
    this.inProgressWaitMs = deps.inProgressWaitMs ?? 10_000;
  }

  /**
   * Event and manual path: re-read the resource from ARM, decide, store the evidence, close the
   * intent, notify. Returns the records written (empty for a duplicate or a compliant re-read).
   * Throws on transient failures (ARM 429/5xx/409, evidence store down) so the platform retries.
   */
  async handleResourceId(resourceId: string, ctx: DecisionContext): Promise<EvidenceRecord[]> {
    const canonicalId = requireResourceId(resourceId).canonicalId;
    const intent = await this.openOrWait(ctx, canonicalId);
    if (intent === 'duplicate') return [];
    const snapshot = await this.deps.gateway.read(canonicalId);
    const inputs =
      snapshot === null
        ? [this.goneInput(canonicalId, ctx)]
        : await this.decideSnapshot(snapshot, ctx, intent);
    if (ctx.dryRun) {
      for (const input of inputs)
        this.deps.log(
          `dry run: ${input.resourceId} ${input.controlId ?? '-'} ${input.outcome}: ${input.action}`,
        );
      return [];
    }
    const records = await this.record(inputs, ctx);
    // an intent recovered here may have produced no new input (e.g. its rule was deleted since)
    const key = this.intentKey(ctx, canonicalId);
    if (this.openIntents.has(key)) await this.closeIntent(key);
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
    const intent = await this.openOrWait(ctx, listed.resourceId);
    if (intent === 'duplicate') return [];
    // listed mid-operation: judge it once the operation is over (the gateway's read waits, bounded)
    const snapshot = inFlight(listed.raw) ? await this.deps.gateway.read(listed.resourceId) : listed;
    if (snapshot === null) return [this.goneInput(listed.resourceId, ctx)];
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
    const closing = this.intentsFor(inputs, ctx?.idempotencyPrefix);
    let records: EvidenceRecord[];
    try {
      records =
        inputs.length === 0
          ? []
          : inputs.length === 1
            ? [await this.deps.evidence.append(inputs[0] as EvidenceInput)]
            : await this.deps.evidence.appendMany(inputs);
    } catch (error) {
      await Promise.all(closing.map((key) => this.releaseIntent(key)));
      throw error;
    }
    for (const key of closing) await this.closeIntent(key);
    await this.notify(records);
    return records;
  }

  // ---- intents ---------------------------------------------------------------------------

  private intentKey(ctx: Pick<DecisionContext, 'idempotencyPrefix'>, resourceId: string): string {
    return `${ctx.idempotencyPrefix}|${resourceId.toLowerCase()}`;
  }

  private leaseActive(intent: Intent): boolean {
    return Date.parse(intent.leaseUntil) > this.deps.clock().getTime();
  }

  /**
   * The intent left by an earlier attempt with this prefix (to recover from), null when there is
   * none, or 'duplicate' when that attempt completed. Waits for an in-flight holder to finish.
   */
  private async openOrWait(ctx: DecisionContext, resourceId: string): Promise<Intent | null | 'duplicate'> {
    if (ctx.dryRun) return null;
    const key = this.intentKey(ctx, resourceId);
    const deadline = Date.now() + this.inProgressWaitMs;
    for (;;) {
      const intent = await this.deps.intents.get(key);
      if (intent === null) return null;
      if (intent.state === 'done') {
        this.deps.log(`duplicate: ${key} was already handled; nothing to do`);
        return 'duplicate';
      }
      if (!this.leaseActive(intent)) {
        // an earlier attempt died or failed after announcing writes: recover from its intent
        this.openIntents.set(key, { prefix: ctx.idempotencyPrefix, resourceId: resourceId.toLowerCase() });
        return intent;
      }
      if (Date.now() >= deadline) throw new InProgressError(key);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  private async claim(
    ctx: DecisionContext,
    snapshot: ResourceSnapshot,
    writes: IntentWrite[],
    held: Intent | null,
  ): Promise<Intent> {
    const key = this.intentKey(ctx, snapshot.resourceId);
    const intent: Intent = {
      key,
      resourceId: snapshot.resourceId,
      state: 'pending',
      leaseUntil: new Date(this.deps.clock().getTime() + this.leaseMs).toISOString(),
      writes,
    };
    const stored = await this.deps.intents.claim(intent, held);
    if (!stored) throw new InProgressError(key);
    this.openIntents.set(key, {
      prefix: ctx.idempotencyPrefix,
      resourceId: snapshot.resourceId.toLowerCase(),
    });
    return stored;
  }

  private intentsFor(inputs: EvidenceInput[], prefix: string | undefined): string[] {
    const keys: string[] = [];
    for (const [key, open] of this.openIntents) {
      if (prefix !== undefined && open.prefix !== prefix) continue;
      const matches = inputs.some(
        (input) =>
          input.resourceId.toLowerCase() === open.resourceId &&
          input.idempotencyKey.startsWith(`${open.prefix}:`),
      );
      if (matches) keys.push(key);
    }
    return keys;
  }

  private async closeIntent(key: string): Promise<void> {
    this.openIntents.delete(key);
    try {
      await this.deps.intents.complete(key);
    } catch (error) {
      // the evidence is stored: a redelivery would only find the resource compliant and record nothing new
      this.deps.log(`warning: could not mark intent ${key} done: ${toError(error).message}`);
    }
  }

  private async releaseIntent(key: string): Promise<void> {
    try {
      await this.deps.intents.release(key);
    } catch (error) {
      this.deps.log(
        `warning: could not release intent ${key} (its lease will expire): ${toError(error).message}`,
      );
    }
  }

  // ---- deciding --------------------------------------------------------------------------

  /** Decides, re-reading and re-evaluating after a 412 (bounded), and returns the inputs. */
  private async decideSnapshot(
    first: ResourceSnapshot,
    ctx: DecisionContext,
    recovered: Intent | null,
  ): Promise<EvidenceInput[]> {
    const byKey = new Map<string, EvidenceInput>();
    let snapshot: ResourceSnapshot | null = first;
    let held = recovered;
    let conflicts = 0;
    for (;;) {
      if (snapshot === null) {
        // gone between our read and our write; what we already changed stays recorded
        const gone = this.goneInput(first.resourceId, ctx);
        if (!byKey.has(gone.idempotencyKey)) byKey.set(gone.idempotencyKey, gone);
        return [...byKey.values()];
      }
      const attempt = await this.attempt(snapshot, ctx, held, new Set(byKey.keys()));
      for (const input of attempt.inputs)
        if (!byKey.has(input.idempotencyKey)) byKey.set(input.idempotencyKey, input);
      held = attempt.intent;
      if (attempt.kind === 'done') return [...byKey.values()];
      conflicts = attempt.progressed ? 0 : conflicts + 1;
      if (conflicts > this.maxConflictRetries) {
        const reason = `the resource kept changing between our read and our write: ${conflicts} conflicting writes (412) in a row; the next event or the sweep retries`;
        this.deps.log(`giving up on ${first.resourceId}: ${reason}`);
        for (const input of attempt.giveUp(reason))
          if (!byKey.has(input.idempotencyKey)) byKey.set(input.idempotencyKey, input);
        return [...byKey.values()];
      }
      this.deps.log(`412 on ${first.resourceId}: re-reading and re-evaluating (round ${conflicts})`);
      // full jitter: writers refused by the same sibling edit do not come back in lockstep
      const backoff = this.conflictBackoffMs * 2 ** (conflicts - 1);
      await new Promise((resolve) => setTimeout(resolve, this.random() * Math.min(backoff, 2000)));
      snapshot = await this.deps.gateway.read(first.resourceId);
    }
  }

  private async attempt(
    snapshot: ResourceSnapshot,
    ctx: DecisionContext,
    held: Intent | null,
    recorded: Set<string>,
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
    const exceptions = await this.deps.exceptions.active(now);
    // all controls are evaluated; the mode in force is applied below (off → `skipped` on the sweep)
    const findings = evaluateResource(resource, {
      settings: this.deps.settings,
      exceptions,
      now,
      modes: ALL_ON,
    });
    const inputs: EvidenceInput[] = [];
    const make = (
      finding: Finding | null,
      outcome: Outcome,
      action: string,
      message: string,
      before: unknown,
      after: unknown,
    ) => {
      const input = this.input(snapshot, ctx, finding, outcome, action, message, before, after);
      if (!recorded.has(input.idempotencyKey)) inputs.push(input);
    };
    const state = (
      finding: Finding,
      from: ResourceSnapshot = snapshot,
      normalized: NormalizedResource = resource,
    ) => controlState(finding.controlId, normalized, from, finding.ruleName);
    const failing = (finding: Finding) => finding.status === 'fail';

    // 1. Writes an earlier attempt announced and that have landed: record them from the intent.
    const stillFailing = new Set(
      findings.filter(failing).map((f) => `${f.controlId}|${(f.ruleName ?? '').toLowerCase()}`),
    );
    for (const write of held?.writes ?? []) {
      const ruleName =
        write.plan.kind === 'nsg-rule-deny' || write.plan.kind === 'nsg-rule-remove-sources'
          ? write.plan.ruleName
          : null;
      const currentRule = ruleName === null ? null : rawRule(snapshot, ruleName);
      if (ruleName !== null && currentRule === null) continue; // rule deleted since: nothing to claim
      for (const controlId of write.controls) {
        if (stillFailing.has(`${controlId}|${(ruleName ?? '').toLowerCase()}`)) continue;
        const finding = this.recoveredFinding(snapshot, controlId, ruleName);
        const before = ruleName ? write.before : ((write.before as Json | null)?.[controlId] ?? null);
        const after = ruleName ? currentRule : state(finding);
        const action = ruleName
          ? describeRuleChange(before as Json, currentRule, describePlan(write.plan))
          : describePlan(write.plan, controlId);
        make(
          finding,
          'remediated',
          action,
          'Remediation completed by an earlier attempt; recorded from its write intent.',
          before,
          after,
        );
      }
    }

    // 2. Decisions for this read.
    const groups = new Map<string, WriteGroup>();
    for (const finding of findings) {
      const mode = this.deps.modes(finding.controlId);
      if (finding.status === 'not-applicable') continue;
      if (mode === 'off') {
        if (ctx.trigger !== 'event')
          make(
            finding,
            'skipped',
            'none (control off)',
            'Control is switched off by configuration.',
            null,
            null,
          );
        continue;
      }
      if (finding.status === 'pass') {
        if (ctx.trigger !== 'event')
          make(finding, 'compliant', 'none', finding.message, state(finding), state(finding));
        continue;
      }
      if (finding.status === 'exempt') {
        make(
          finding,
          'exempted',
          `none (exception ${finding.exceptionId ?? '?'})`,
          finding.message,
          state(finding),
          state(finding),
        );
        continue;
      }
      const plan = finding.remediation;
      if (mode === 'audit' || !plan) {
        const why = mode === 'audit' ? 'audit mode' : 'no automatic remediation for this control';
        make(finding, 'audit-only', `none (${why})`, finding.message, state(finding), state(finding));
        continue;
      }
      if (ctx.dryRun) {
        make(
          finding,
          'audit-only',
          `dry run: would ${describePlan(plan, finding.controlId)}`,
          finding.message,
          state(finding),
          state(finding),
        );
        continue;
      }
      const writeKey = writeKeyOf(plan);
      const group = groups.get(writeKey);
      if (group) {
        group.plan = mergePlans(group.plan, plan);
        group.findings.push(finding);
      } else {
        groups.set(writeKey, { writeKey, plan, findings: [finding] });
      }
    }
    if (groups.size === 0) return { kind: 'done', inputs, intent: held };

    // 3. Announce the writes (intent), then write, one ARM call per group.
    const writes: IntentWrite[] = (held?.writes ?? []).filter((write) => !groups.has(write.writeKey));
    for (const group of groups.values()) {
      const first = group.findings[0] as Finding;
      const before = first.ruleName
        ? rawRule(snapshot, first.ruleName)
        : this.storageBefore(group, resource, snapshot);
      writes.push({
        writeKey: group.writeKey,
        controls: group.findings.map((f) => f.controlId),
        plan: group.plan,
        before,
      });
    }
    const intent = await this.claim(ctx, snapshot, writes, held);

    let progressed = false;
    const failed = (group: WriteGroup, message: string) => {
      for (const finding of group.findings) {
        make(
          finding,
          'remediation-failed',
          `attempted: ${describePlan(group.plan, finding.controlId)}`,
          message,
          state(finding),
          state(finding),
        );
      }
    };
    const ordered = [...groups.values()];
    for (const [index, group] of ordered.entries()) {
      try {
        const written = await this.deps.gateway.apply(group.plan, snapshot);
        progressed = true;
        const after = written.target === 'securityRule' ? null : normalizeResource(written.raw);
        for (const finding of group.findings) {
          const before = state(finding);
          const afterState = finding.ruleName ? written.raw : after ? state(finding, written, after) : null;
          const action = finding.ruleName
            ? describeRuleChange(before as Json, written.raw, describePlan(group.plan))
            : describePlan(group.plan, finding.controlId);
          make(finding, 'remediated', action, finding.message, before, afterState);
        }
      } catch (error) {
        if (error instanceof PreconditionFailedError) {
          // ARM refused this write, so it did not land: take it off the intent, or a later
          // recovery would claim a remediation someone else made.
          const remaining = intent.writes.filter((write) => write.writeKey !== group.writeKey);
          const narrowed = await this.claim(ctx, snapshot, remaining, intent);
          const giveUp = (reason: string) => {
            const before = inputs.length;
            for (const stopped of ordered.slice(index))
              failed(stopped, `Remediation not applied: ${reason}.`);
            return inputs.slice(before);
          };
          return { kind: 'conflict', inputs, intent: narrowed, progressed, giveUp };
        }
        if (isTransient(error) || isAbort(error)) {
          await this.releaseIntent(intent.key);
          throw error;
        }
        const message = clip(
          error instanceof ResourceBusyError
            ? `Remediation not applied: ${error.message}; the next event or the sweep retries.`
            : `ARM refused the remediation: ${toError(error).message}`,
        );
        this.deps.log(`remediation failed for ${snapshot.resourceId}: ${message}`);
        failed(group, message);
      }
    }
    return { kind: 'done', inputs, intent };
  }

  /** A finding to hang a recovered record on: the control now passes for this resource/rule. */
  private recoveredFinding(
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

  /** Storage before-state of a group, keyed by control so recovery can split it per record. */
  private storageBefore(group: WriteGroup, resource: NormalizedResource, snapshot: ResourceSnapshot): Json {
    const before: Json = {};
    for (const finding of group.findings)
      before[finding.controlId] = controlState(finding.controlId, resource, snapshot, null);
    return before;
  }

  private input(
    snapshot: ResourceSnapshot,
    ctx: DecisionContext,
    finding: Finding | null,
    outcome: Outcome,
    action: string,
    message: string,
    before: unknown,
    after: unknown,
  ): EvidenceInput {
    const ruleName = finding?.ruleName ?? null;
    return {
      idempotencyKey: this.idempotencyKey(ctx, snapshot.resourceId, finding?.controlId ?? null, ruleName),
      trigger: ctx.trigger,
      eventId: ctx.eventId,
      correlationId: ctx.correlationId,
      subscriptionId: snapshot.subscriptionId,
      resourceId: snapshot.resourceId,
      resourceType: finding?.resourceType ?? ARM_TYPE_NAMES[snapshot.target],
      controlId: finding?.controlId ?? null,
      criteria: finding ? [...finding.criteria] : [],
      outcome,
      action,
      message: clip(message),
      before: before ?? null,
      after: after ?? null,
      actor: ctx.actor,
      exceptionId: finding?.exceptionId ?? null,
      sweepId: ctx.sweepId ?? null,
      ruleName,
    };
  }

  /**
   * `event:<eventId>:<controlId>[:<rule>]` (DESIGN.md: idempotent on event id + control id; the
   * rule name keeps two rules failing one control apart); other triggers add the resource id.
   */
  private idempotencyKey(
    ctx: DecisionContext,
    resourceId: string,
    controlId: ControlId | null,
    ruleName: string | null,
  ): string {
    const parts = [ctx.idempotencyPrefix];
    if (ctx.trigger !== 'event') parts.push(resourceId.toLowerCase());
    parts.push(controlId ?? '-');
    if (ruleName) parts.push(ruleName.toLowerCase());
    return parts.join(':');
  }

  private goneInput(resourceId: string, ctx: DecisionContext): EvidenceInput {
    const snapshot = snapshotOf({ id: resourceId });
    return this.input(
      snapshot,
      ctx,
      null,
      'resource-gone',
      'none',
      'The resource no longer exists (404 on re-read).',
      null,
      null,
    );
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
