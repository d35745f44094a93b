import type { ControlException } from '../controls/types.js';
import type { EvidenceRecord } from '../evidence/types.js';
import type { RestorePreview } from '../remediation/restore.js';

export interface RestoreRequest {
  /** the approving principal's name; recorded on the exception and as the `restored` record's actor */
  approver: string;
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
export interface Restorer {
  restore(
    record: EvidenceRecord,
    request: RestoreRequest,
  ): Promise<{ exception: ControlException; record: EvidenceRecord }>;
  /** the exact change a restore would make, changing nothing (absent: no dry run in this deployment) */
  preview?(record: EvidenceRecord): Promise<RestorePreview>;
}

/**
 * A failure the caller may see (the resource changed or vanished since the record): the API
 * answers 409 with `message`. Anything else thrown by a Restorer becomes an opaque 500. Defined
 * next to the restore logic (lib/remediation/restore.ts), which throws it.
 */
export { RestoreConflictError, RestoreRefusedError } from '../remediation/restore.js';

/** For a Restorer that cannot restore in its deployment: the API answers 501 with `message`. */
export class RestoreUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RestoreUnavailableError';
  }
}
