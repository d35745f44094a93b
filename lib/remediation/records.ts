import { ARM_TYPE_NAMES } from '../azure/resource-id.js';
import type { ControlId, Finding } from '../controls/types.js';
import type { EvidenceInput, Outcome } from '../evidence/types.js';
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
}

export function evidenceInput(
  snapshot: ResourceSnapshot,
  ctx: DecisionContext,
  finding: Finding | null,
  body: RecordBody,
): EvidenceInput {
  const ruleName = finding?.ruleName ?? null;
  return {
    idempotencyKey: idempotencyKey(ctx, snapshot.resourceId, finding?.controlId ?? null, ruleName),
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
    message: clip(body.message),
    before: body.before ?? null,
    after: body.after ?? null,
    actor: ctx.actor,
    exceptionId: finding?.exceptionId ?? null,
    sweepId: ctx.sweepId ?? null,
    ruleName,
    ...(ctx.eventTime ? { eventTime: ctx.eventTime } : {}),
  };
}

/**
 * `event:<eventId>:<controlId>[:<rule>]` (DESIGN.md: idempotent on event id + control id; the
 * rule name keeps two rules failing one control apart); other triggers add the resource id.
 */
export function idempotencyKey(
  ctx: Pick<DecisionContext, 'trigger' | 'idempotencyPrefix'>,
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
