import type { ControlException, ControlId } from '../controls/types.js';

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

export interface ExceptionStore {
  /** Validates (non-empty justification/ticket, known control, expiry bounded) and stores. */
  create(input: NewException): Promise<ControlException>;
  get(id: string): Promise<ControlException | null>;
  /** All exceptions, including expired and revoked (the registry is an audit trail). */
  list(): Promise<ControlException[]>;
  /** Exceptions not revoked and not expired at `now` (evaluation filters further by scope). */
  active(now: Date): Promise<ControlException[]>;
  /** Records the revocation (revokedOn/revokedBy); never deletes. */
  revoke(id: string, revokedBy: string, revokedByObjectId?: string | null): Promise<ControlException>;
  /**
   * Approves a two-step request (state 'requested' → 'approved', approvedBy/On set now). Returns
   * the exception as stored; an already approved one is returned unchanged.
   */
  approve(id: string, approval: Approval): Promise<ControlException>;
}
