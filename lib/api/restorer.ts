import type { ControlException, ControlId } from '../controls/types.js';
import type { EvidenceRecord } from '../evidence/types.js';
import type { RestorePreview } from '../remediation/restore.js';
import type { Identity } from '../util/identity.js';

export interface RestoreRequest {
  /** the approving principal's name; recorded on the exception and as the `restored` record's actor */
  approver: string;
  /** the approving principal's object id (separation of duties compares it with the record's actor) */
  approverObjectId?: string | null;
  /** per other control the restored state would fail: its own justification (one exception each) */
  justifications?: Partial<Record<ControlId, string>>;
  justification: string;
  ticket: string;
  /** ISO 8601, already validated: in the future and within DW_EXCEPTION_MAX_DAYS */
  expiresOn: string;
}

/**
 * Puts a remediated resource back to its recorded `before` state (on-call restore): creates the
 * exception that keeps it from being reverted again, writes the resource via ARM (ETag-guarded),
 * and appends a `restored` evidence record naming the approver. Returns both.
 */
export type RestoreOutcome =
  | { exception: ControlException; exceptions?: ControlException[]; record: EvidenceRecord }
  /** two-step controls: the requests are stored and a second approver completes the restore */
  | { pending: ControlException[] };

export interface Restorer {
  restore(record: EvidenceRecord, request: RestoreRequest): Promise<RestoreOutcome>;
  /** the exact change a restore would make, changing nothing (absent: no dry run in this deployment) */
  preview?(record: EvidenceRecord): Promise<RestorePreview>;
  /** a second person approves a pending restore's requests; the restore then runs under them */
  approve?(record: EvidenceRecord, requests: ControlException[], approver: Identity): Promise<RestoreOutcome>;
}

/**
 * A failure the caller may see (the resource changed or vanished since the record): the API
 * answers 409 with `message`. Anything else thrown by a Restorer becomes an opaque 500. Defined
 * next to the restore logic (lib/remediation/restore.ts), which throws it.
 */
export {
  RestoreConflictError,
  RestoreNeedsJustificationError,
  RestoreRefusedError,
  SeparationOfDutiesError,
} from '../remediation/restore.js';

/** For a Restorer that cannot restore in its deployment: the API answers 501 with `message`. */
export class RestoreUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RestoreUnavailableError';
  }
}
