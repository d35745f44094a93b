import type { ControlException, ControlId } from '../controls/types.js';
import type { TrustVerdict } from './evidence.js';

/** What an approver supplies; the store assigns id and approvedOn. */
export interface NewException {
  controlId: ControlId;
  scope: string;
  ruleName?: string;
  justification: string;
  ticket: string;
  /** the approver's name; for a two-step request (`state: 'requested'`), the requester's */
  approvedBy: string;
  approvedByObjectId?: string;
  expiresOn: string; // ISO 8601, must be in the future and within the configured maximum
  /** 'requested': stored as a request that a second person must approve before it matches */
  state?: 'requested';
  wideScope?: boolean;
  restoreOf?: string;
}

/** Who approves a two-step request. */
export interface Approval {
  approvedBy: string;
  approvedByObjectId: string | null;
}

/** Who revokes (object id when known) and why. */
export interface RevokeOptions {
  objectId?: string | null;
  reason?: string;
}

export interface ExceptionStore {
  /** Validates (non-empty justification/ticket, known control, expiry bounded) and stores. */
  create(input: NewException): Promise<ControlException>;
  get(id: string): Promise<ControlException | null>;
  /** All exceptions, including expired and revoked (the registry is an audit trail). */
  list(): Promise<ControlException[]>;
  /** Exceptions not revoked and not expired at `now` (evaluation filters further by scope). */
  active(now: Date): Promise<ControlException[]>;
  /**
   * active(now) read from the table now, never from a cache (a cached store refreshes itself);
   * absent = active() is never cached. The engine asks before it reverts anything.
   */
  activeUncached?(now: Date): Promise<ControlException[]>;
  /** Records the revocation (revokedOn/revokedBy, who by object id, optional reason); never deletes. */
  revoke(id: string, revokedBy: string, options?: RevokeOptions): Promise<ControlException>;
  /**
   * Approves a two-step request (state 'requested' → 'approved', approvedBy/On set now). Returns
   * the exception as stored; an already approved one is returned unchanged.
   */
  approve(id: string, approval: Approval): Promise<ControlException>;
  /** Every row with its verdict against its evidence record (verify); absent = rows are not evidence-backed. */
  judged?(): Promise<Array<{ exception: ControlException; verdict: TrustVerdict }>>;
  /** Exceptions whose rows match their evidence (all times; callers filter); absent = list(). */
  honoured?(): Promise<ControlException[]>;
  /** Appends an expiry record for each honoured exception past its expiry (the digest tick calls it). */
  recordExpiries?(now: Date): Promise<number>;
}
