import type { ControlId, Finding } from '../controls/types.js';
import { canonicalJson, sha256Hex } from '../evidence/hash.js';
import type { EvidenceInput, Outcome } from '../evidence/types.js';
import { ARM_TYPE_NAMES } from '../resources/kinds.js';
import { snapshotOf } from './state.js';
import type { DecisionContext, ResourceSnapshot } from './types.js';

/**
 * The shape of the engine's evidence inputs: one place decides their idempotency keys, which
 * context fields they carry and how long their messages may be.
 */

const MAX_MESSAGE = 1000;

/** One line, at most 1000 characters (ARM error texts can be long and multi-line). */
export function clip(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > MAX_MESSAGE ? `${line.slice(0, MAX_MESSAGE - 3)}...` : line;
}

/** What one record says about a control (or, with no finding, about the resource). */
export interface RecordBody {
  outcome: Outcome;
  action: string;
  message: string;
  before: unknown;
  after: unknown;
  /** records of an ARM write: the run id of the intent that announced it */
  writeRun?: string;
}

/** Fields ARM rewrites on every write of an unchanged rule: not part of the observed state. */
const VOLATILE = new Set(['etag', 'provisioningState']);

function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) if (!VOLATILE.has(key)) out[key] = stable(item);
  return out;
}

/** Short hash of the state a decision was made on (the control's properties or the rule as read). */
export function stateHash(state: unknown): string {
  return sha256Hex(canonicalJson(stable(state ?? null))).slice(0, 16);
}

/** What a finding is about: the rule's own id for a rule of an NSG, else the resource read. */
export function subjectOf(snapshot: ResourceSnapshot, finding: Finding | null): string {
  const ruleName = finding?.ruleName;
  if (!ruleName || snapshot.target === 'securityRule') return snapshot.resourceId;
  return `${snapshot.resourceId}/securityRules/${ruleName}`;
}

/**
 * Who the record names. Sweeps and manual runs name nobody (ctx.actor is null); an event names
 * its caller for what it targets, and only as a hint for anything else found on the re-read (a
 * colleague's edit of one rule does not make them the author of another rule's drift).
 */
function attribution(
  snapshot: ResourceSnapshot,
  ctx: DecisionContext,
  finding: Finding | null,
): Pick<EvidenceInput, 'actor' | 'actorObjectId' | 'actorHint'> & { foundOnReRead: boolean } {
  const caller = { actor: ctx.actor, actorObjectId: ctx.actorObjectId ?? null, foundOnReRead: false };
  if (ctx.trigger !== 'event' || !ctx.eventTarget || (!ctx.actor && !ctx.actorObjectId)) return caller;
  const subject = subjectOf(snapshot, finding).toLowerCase();
  const target = ctx.eventTarget.toLowerCase();
  if (
    !ctx.afterConflict &&
    (subject === target ||
      isOwnDiagnosticSetting(finding, subject, target) ||
      isOwnTable(finding, subject, target))
  )
    return caller;
  return { actor: null, actorObjectId: null, actorHint: ctx.actor ?? ctx.actorObjectId, foundOnReRead: true };
}

/**
 * A diagnostic-setting event targets its parent's DIAG-RESOURCE-LOGS finding (the setting is what
 * it judges; a storage account's settings live on its blob service).
 */
function isOwnDiagnosticSetting(finding: Finding | null, subject: string, target: string): boolean {
  return (
    finding?.controlId === 'DIAG-RESOURCE-LOGS' &&
    (target.startsWith(`${subject}/providers/microsoft.insights/diagnosticsettings/`) ||
      target.startsWith(`${subject}/blobservices/default/providers/microsoft.insights/diagnosticsettings/`))
  );
}

/** A table event targets its workspace's LAW-RETENTION finding (the tables are part of what it judges). */
function isOwnTable(finding: Finding | null, subject: string, target: string): boolean {
  return finding?.controlId === 'LAW-RETENTION' && target.startsWith(`${subject}/tables/`);
}

export const FOUND_ON_RE_READ = 'Found on re-read (not attributed to the event caller).';

export function evidenceInput(
  snapshot: ResourceSnapshot,
  ctx: DecisionContext,
  finding: Finding | null,
  body: RecordBody,
): EvidenceInput {
  const ruleName = finding?.ruleName ?? null;
  const { foundOnReRead, ...who } = attribution(snapshot, ctx, finding);
  const key = idempotencyKey(ctx, snapshot.resourceId, finding?.controlId ?? null, ruleName, {
    state: stateHash(body.before),
    ...(body.writeRun ? { writeRun: body.writeRun } : {}),
  });
  return {
    idempotencyKey: key,
    trigger: ctx.trigger,
    eventId: ctx.eventId,
    correlationId: ctx.correlationId,
    subscriptionId: snapshot.subscriptionId,
    resourceId: snapshot.resourceId,
    resourceType: finding?.resourceType ?? ARM_TYPE_NAMES[snapshot.target],
    controlId: finding?.controlId ?? null,
    criteria: finding ? [...finding.criteria] : [],
    outcome: body.outcome,
    action: body.action,
    message: clip(foundOnReRead ? `${FOUND_ON_RE_READ} ${body.message}` : body.message),
    before: body.before ?? null,
    after: body.after ?? null,
    actor: who.actor,
    ...(who.actorObjectId ? { actorObjectId: who.actorObjectId } : {}),
    ...(who.actorHint ? { actorHint: who.actorHint } : {}),
    exceptionId: finding?.exceptionId ?? null,
    sweepId: ctx.sweepId ?? null,
    ruleName,
    ...(ctx.eventTime ? { eventTime: ctx.eventTime } : {}),
  };
}

/**
 * `event:<eventId>:<controlId>[:<rule>]:<state hash>[:w<run>]` (ARCHITECTURE.md "Contracts": idempotent
 * on event id + control id; the rule name keeps two rules failing one control apart); other triggers add the
 * resource id. The hash of the observed state makes a re-run that finds different state record
 * it (the month's earlier `compliant` no longer swallows a later remediation), and a write's run id
 * makes every ARM write its own record, while a redelivery of the same run dedupes.
 */
export function idempotencyKey(
  ctx: Pick<DecisionContext, 'trigger' | 'idempotencyPrefix'>,
  resourceId: string,
  controlId: ControlId | null,
  ruleName: string | null,
  observed: { state: string; writeRun?: string },
): string {
  const parts = [ctx.idempotencyPrefix];
  if (ctx.trigger !== 'event') parts.push(resourceId.toLowerCase());
  parts.push(controlId ?? '-');
  if (ruleName) parts.push(ruleName.toLowerCase());
  parts.push(observed.state);
  if (observed.writeRun) parts.push(`w${observed.writeRun}`);
  return parts.join(':');
}

/** The record for a resource the re-read did not find. */
export function goneInput(resourceId: string, ctx: DecisionContext): EvidenceInput {
  return evidenceInput(snapshotOf({ id: resourceId }), ctx, null, {
    outcome: 'resource-gone',
    action: 'none',
    message: 'The resource no longer exists (404 on re-read).',
    before: null,
    after: null,
  });
}
