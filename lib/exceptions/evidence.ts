/**
 * Exceptions are evidence: every create, revoke and expiry is a record in the evidence chain, and
 * the exceptions table is only an index of them. A row is honoured only when it matches its
 * `exception-created` record (hash intact, same content), its lifetime is within the maximum
 * (re-checked on every read), and no `exception-revoked` record exists that the row has lost.
 * Verdicts are cached per row ETag: an unchanged row is not re-checked on every event, an edited
 * one (new ETag) is.
 */
import type { ControlException } from '../controls/types.js';
import { recordHash } from '../evidence/hash.js';
import type { EvidenceInput, EvidenceRecord, EvidenceStore } from '../evidence/types.js';
import type { ExceptionStore } from './types.js';

export type ExceptionEvent = 'created' | 'approved' | 'revoked' | 'expired';

const DAY_MS = 24 * 60 * 60 * 1000;
/** The fields a `created` record fixes; a row differing in any of them is not the approved exception. */
const CONTENT = [
  'controlId',
  'scope',
  'ruleName',
  'justification',
  'ticket',
  'approvedBy',
  'approvedOn',
  'expiresOn',
  'state',
  'requestedBy',
] as const;

export function exceptionKey(id: string, event: ExceptionEvent): string {
  return `exception:${id}:${event}`;
}

function subscriptionOf(scope: string): string {
  return /^\/subscriptions\/([^/]+)/i.exec(scope)?.[1] ?? 'unscoped';
}

/** The evidence record of an exception event (the exception's full content in `after`). */
export function exceptionEvidence(
  event: ExceptionEvent,
  exception: ControlException,
  actor: string,
  before: ControlException | null = null,
): EvidenceInput {
  const outcome = `exception-${event}` as const;
  return {
    idempotencyKey: exceptionKey(exception.id, event),
    trigger: 'manual',
    eventId: null,
    correlationId: null,
    subscriptionId: subscriptionOf(exception.scope),
    resourceId: exception.scope,
    resourceType: 'driftwarden/exception',
    // not a decision under the control (the exempted control is in `after`): filters by control
    // keep listing decisions only
    controlId: null,
    criteria: [],
    outcome,
    action: `${event} exception ${exception.id}`,
    message:
      event === 'created'
        ? `${exception.state === 'requested' ? 'requested: ' : ''}${exception.justification} (ticket ${exception.ticket}; until ${exception.expiresOn})`
        : event === 'approved'
          ? `approved by ${exception.approvedBy} (requested by ${exception.requestedBy ?? 'unknown'})`
          : event === 'revoked'
            ? `revoked by ${exception.revokedBy ?? actor}`
            : `expired at ${exception.expiresOn}`,
    before,
    after: exception,
    actor,
    exceptionId: exception.id,
    ruleName: exception.ruleName ?? null,
  };
}

export type TrustVerdict =
  | { trusted: true }
  | { trusted: false; kind: 'exception-forged' | 'exception-edited'; reason: string };

function sameContent(row: ControlException, recorded: unknown): string | null {
  if (typeof recorded !== 'object' || recorded === null) return 'its record holds no exception';
  const fields = recorded as Record<string, unknown>;
  for (const field of CONTENT) {
    const a = row[field] ?? null;
    const b = fields[field] ?? null;
    if (a !== b) return `${field} differs from the approved exception`;
  }
  return null;
}

/** Judges one row against the evidence (no cache). */
export async function judgeException(
  row: ControlException & { recordId?: string },
  evidence: Pick<EvidenceStore, 'get' | 'findByIdempotencyKey'>,
  maxDays: number,
): Promise<TrustVerdict> {
  if (!row.recordId)
    return { trusted: false, kind: 'exception-forged', reason: 'no evidence record names this exception' };
  const record: EvidenceRecord | null = await evidence.get(row.recordId);
  // the row names the record that approved it: its creation, or (two-step) its approval
  const approving = record?.outcome === 'exception-created' || record?.outcome === 'exception-approved';
  if (!record || !approving || record.exceptionId !== row.id)
    return {
      trusted: false,
      kind: 'exception-forged',
      reason: `record ${row.recordId} is not the creation or approval of this exception`,
    };
  if (recordHash(record) !== record.hash)
    return {
      trusted: false,
      kind: 'exception-edited',
      reason: `its evidence record ${row.recordId} was edited`,
    };
  const differs = sameContent(row, record.after);
  if (differs) return { trusted: false, kind: 'exception-edited', reason: differs };
  const lifetime = Date.parse(row.expiresOn) - Date.parse(row.approvedOn);
  if (!(lifetime <= maxDays * DAY_MS))
    return {
      trusted: false,
      kind: 'exception-edited',
      reason: `valid for more than the ${maxDays}-day maximum`,
    };
  if (!row.revokedOn) {
    const revoked = await evidence.findByIdempotencyKey(exceptionKey(row.id, 'revoked'));
    if (revoked)
      return {
        trusted: false,
        kind: 'exception-edited',
        reason: `revoked by record ${revoked.recordId}, but the row no longer says so`,
      };
  }
  return { trusted: true };
}

export interface ExceptionFinding {
  kind: 'exception-forged' | 'exception-edited';
  exceptionId: string;
  detail: string;
}

/** verify's check of the exceptions table (every row, revoked and expired included). */
export async function verifyExceptions(
  exceptions: Pick<ExceptionStore, 'judged'>,
): Promise<ExceptionFinding[]> {
  if (!exceptions.judged) return [];
  const findings: ExceptionFinding[] = [];
  for (const { exception, verdict } of await exceptions.judged()) {
    if (!verdict.trusted)
      findings.push({ kind: verdict.kind, exceptionId: exception.id, detail: verdict.reason });
  }
  return findings;
}
