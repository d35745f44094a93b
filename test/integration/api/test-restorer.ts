import type { RestoreRequest, Restorer } from '../../../lib/api/restorer.js';
import type { ControlException } from '../../../lib/controls/types.js';
import type { EvidenceRecord, EvidenceStore } from '../../../lib/evidence/types.js';
import type { ExceptionStore } from '../../../lib/exceptions/types.js';
import {
  type RestorePreview,
  restoreKey,
  restoreTarget,
  stateChanges,
} from '../../../lib/remediation/restore.js';

/**
 * TEST-ONLY Restorer: the production one writes the resource back through ARM (another module).
 * This one does everything else for real — creates the exception in the real ExceptionStore and
 * appends the `restored` record to the real EvidenceStore — skips the ARM write, and records every
 * call so tests can assert what the API handed over.
 */
export class RecordingTestRestorer implements Restorer {
  readonly calls: { record: EvidenceRecord; request: RestoreRequest }[] = [];

  constructor(
    private readonly evidence: EvidenceStore,
    private readonly exceptions: ExceptionStore,
  ) {}

  /** The production preview's computation, with the record's `after` standing in for the live state (no ARM here). */
  async preview(record: EvidenceRecord): Promise<RestorePreview> {
    const target = restoreTarget(record, record.after);
    return {
      recordId: record.recordId,
      resourceId: record.resourceId,
      ruleName: record.ruleName ?? null,
      current: record.after,
      target,
      changes: stateChanges(record.after, target),
    };
  }

  async restore(
    record: EvidenceRecord,
    request: RestoreRequest,
  ): Promise<{ exception: ControlException; record: EvidenceRecord }> {
    this.calls.push({ record, request });
    if (!record.controlId) throw new Error('test restorer: record has no control');
    const exception = await this.exceptions.create({
      controlId: record.controlId,
      scope: record.ruleName
        ? (record.resourceId.split('/securityRules/')[0] ?? record.resourceId)
        : record.resourceId,
      ...(record.ruleName ? { ruleName: record.ruleName } : {}),
      justification: request.justification,
      ticket: request.ticket,
      approvedBy: request.approver,
      expiresOn: request.expiresOn,
    });
    const restored = await this.evidence.append({
      idempotencyKey: restoreKey(record), // as the production restore: one restore per record
      trigger: 'manual',
      eventId: null,
      correlationId: record.correlationId,
      subscriptionId: record.subscriptionId,
      resourceId: record.resourceId,
      resourceType: record.resourceType,
      controlId: record.controlId,
      criteria: record.criteria,
      outcome: 'restored',
      action: `restored the recorded before-state of ${record.recordId}`,
      message: request.justification,
      before: record.after,
      after: record.before,
      actor: request.approver,
      exceptionId: exception.id,
      ruleName: record.ruleName ?? null,
    });
    return { exception, record: restored };
  }
}
