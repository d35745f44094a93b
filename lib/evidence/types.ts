import type { ControlId } from '../controls/types.js';

export type Trigger = 'event' | 'sweep' | 'manual';

/** One decision. See ARCHITECTURE.md "Contracts". */
export type Outcome =
  | 'remediated' // we changed the resource back
  | 'remediation-failed' // we tried and ARM refused permanently
  | 'exempted' // a matching, unexpired exception: no write
  | 'audit-only' // failing, but the control (or global switch) is in audit mode
  | 'compliant' // evaluated and passing (sweep: continuous evidence)
  | 'skipped' // own write (loop guard), irrelevant event, or control off
  | 'resource-gone' // the resource no longer exists (delete event, or 404 on re-read)
  | 'restored' // an approver put the recorded `before` state back (on-call restore)
  | 'exception-created' // an approver granted an exception, or (two-step) someone requested one (content in `after`)
  | 'exception-approved' // a second person approved a two-step request (`before` the request, `after` approved)
  | 'exception-revoked' // an exception was revoked (`before` and `after` the revocation)
  | 'exception-expired'; // an exception reached its expiry (recorded when first noticed)

/** What a use case hands the store: everything but ids, time and chain fields. */
export interface EvidenceInput {
  /**
   * Makes the append idempotent: a second append with the same key returns the first record and
   * writes nothing. Event path: `event:<eventId>:<controlId or '-'>[:<rule>]:<state hash>`; sweep:
   * `sweep:<sweepId>:<resourceId>:<controlId>[:<rule>]:<state hash>`; records of an ARM write add
   * `:w<run id of its intent>`, so a re-run that writes again records again.
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
  /**
   * who caused the change (claims upn, else appid, else objectidentifier), or the approver for
   * `restored`. Event path: only for what the event targets; drift found on the re-read of
   * something else is unattributed (null), with the event's caller in `actorHint`.
   */
  actor: string | null;
  /** the actor's Entra object id (claims oid; the approver's for `restored`); stored only when known */
  actorObjectId?: string | null;
  /** unattributed drift: the caller of the event whose re-read found it (a hint, not an attribution) */
  actorHint?: string | null;
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
  /** any of these outcomes (the on-call page's "actionable" view); combines with `outcome` by AND */
  outcomes?: readonly string[];
  actor?: string;
  /** outcomes to leave out (the remediation log leaves out exception events unless asked for) */
  excludeOutcomes?: readonly string[];
  limit?: number;
  continuationToken?: string;
}

export interface EvidencePage {
  items: EvidenceRecord[];
  continuationToken?: string;
}

/**
 * What verify can find. The first four come from the table alone; the others need the signed
 * digests (lib/anchor/verify-anchors.ts) or the exceptions' evidence records.
 */
export type ProblemKind =
  | 'edited'
  | 'deleted'
  | 'inserted'
  | 'broken-link'
  | 'rewritten'
  | 'truncated'
  | 'rolled-back'
  | 'chain-deleted'
  | 'digest-missing'
  | 'digest-edited'
  | 'exception-forged'
  | 'exception-edited';

export interface ChainProblem {
  kind: ProblemKind;
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
  /** with anchoring: each chain's latest anchored head (a printed report is an anchor too) */
  anchoredHeads?: Array<{
    chainId: string;
    sequence: number;
    headHash: string;
    digestSequence: number;
    lastTime: string | null;
  }>;
  /** with anchoring: records newer than their chain's latest digest (not an error) */
  notYetAnchored?: Array<{ chainId: string; fromSequence: number; toSequence: number }>;
  /** with anchoring: how many digests were checked */
  digests?: number;
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
