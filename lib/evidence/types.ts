import type { ControlId } from '../controls/types.js';

export type Trigger = 'event' | 'sweep' | 'manual';

/** One decision. See DESIGN.md "Evidence". */
export type Outcome =
  | 'remediated' // we changed the resource back
  | 'remediation-failed' // we tried and ARM refused permanently
  | 'exempted' // a matching, unexpired exception: no write
  | 'audit-only' // failing, but the control (or global switch) is in audit mode
  | 'compliant' // evaluated and passing (sweep: continuous evidence)
  | 'skipped' // own write (loop guard), irrelevant event, or control off
  | 'resource-gone' // the resource no longer exists (delete event, or 404 on re-read)
  | 'restored'; // an approver put the recorded `before` state back (on-call restore)

/** What a use case hands the store: everything but ids, time and chain fields. */
export interface EvidenceInput {
  /**
   * Makes the append idempotent: a second append with the same key returns the first record and
   * writes nothing. Event path: `event:<eventId>:<controlId or '-'>`; sweep:
   * `sweep:<sweepId>:<resourceId>:<controlId>`; manual: a fresh id.
   */
  idempotencyKey: string;
  trigger: Trigger;
  eventId: string | null;
  correlationId: string | null;
  subscriptionId: string;
  resourceId: string;
  resourceType: string;
  controlId: ControlId | null;
  criteria: string[];
  outcome: Outcome;
  /** what was done, e.g. "set allowBlobPublicAccess=false" or "none (audit mode)" */
  action: string;
  /** human-readable reason / error message */
  message: string;
  /** resource (or rule) state before and after, as JSON-serialisable values */
  before: unknown;
  after: unknown;
  /** who caused the change (claims upn, else appid, else objectidentifier), or the approver for `restored` */
  actor: string | null;
  exceptionId: string | null;
  /** sweep id (e.g. '2026-11') for sweep records */
  sweepId?: string | null;
  ruleName?: string | null;
  /**
   * When the triggering change happened (the event's eventTime): with `time` (the confirmed write)
   * it gives time-to-remediate. Absent on sweep/manual records and on records written before this
   * field existed; stored and hashed only when present, so older records keep their hashes.
   */
  eventTime?: string;
}

export interface EvidenceRecord extends EvidenceInput {
  recordId: string;
  time: string; // ISO 8601, set by the store's clock
  remediatorIdentity: string;
  remediatorVersion: string;
  /** chain this record belongs to, its position, and the hashes linking it */
  chainId: string;
  sequence: number;
  previousHash: string;
  hash: string;
}

export interface EvidenceQuery {
  since?: string;
  until?: string;
  subscription?: string;
  /** resource id prefix (case-insensitive) */
  resource?: string;
  control?: string;
  outcome?: string;
  actor?: string;
  limit?: number;
  continuationToken?: string;
}

export interface EvidencePage {
  items: EvidenceRecord[];
  continuationToken?: string;
}

export interface ChainProblem {
  kind: 'edited' | 'deleted' | 'inserted' | 'broken-link';
  chainId: string;
  sequence: number;
  recordId?: string;
  detail: string;
}

export interface VerifyResult {
  ok: boolean;
  chains: number;
  records: number;
  problems: ChainProblem[];
}

export interface EvidenceStore {
  /** Appends one record (idempotent on idempotencyKey). Throws on storage failure: callers let it propagate. */
  append(input: EvidenceInput): Promise<EvidenceRecord>;
  /** Appends many (sweep): table batch transactions, ≤ 100 entities per batch, one partition per batch. */
  appendMany(inputs: EvidenceInput[]): Promise<EvidenceRecord[]>;
  /** The record for an idempotency key, if it was written. */
  findByIdempotencyKey(key: string): Promise<EvidenceRecord | null>;
  get(recordId: string): Promise<EvidenceRecord | null>;
  /** Newest first, filtered, paged. */
  query(query: EvidenceQuery): Promise<EvidencePage>;
  /** Recomputes every chain. */
  verify(): Promise<VerifyResult>;
}
