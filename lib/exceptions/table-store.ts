/**
 * Exception registry in Azure Table Storage: partition `exception`, RowKey = exception id (a UUID).
 * The registry is an audit trail: revoke records revokedOn/revokedBy with an ETag-guarded update
 * and never deletes; list() returns everything, active(now) what is neither expired nor revoked.
 * The registry is small (hundreds of rows), so active() filters client-side after one query.
 *
 * With an evidence store (the app always passes one), exceptions are evidence (evidence.ts):
 * create and revoke append their record first and the row names it; active() honours a row only
 * when it matches its record, and ignores (and logs) a forged or edited one.
 */
import { randomUUID } from 'node:crypto';
import { odata, type TableClient, type TableEntity } from '@azure/data-tables';
import { createTableClient, ensureTable, type TableClientOptions } from '../azure/tables.js';
import type { Config } from '../config.js';
import type { ControlException, ControlId } from '../controls/types.js';
import type { EvidenceStore } from '../evidence/types.js';
import { isRestError } from '../util/errors.js';
import { exceptionEvidence, judgeException, type TrustVerdict } from './evidence.js';
import type { Approval, ExceptionStore, NewException, RevokeOptions } from './types.js';
import {
  DEFAULT_MAX_DAYS,
  ExceptionNotFoundError,
  ExceptionValidationError,
  isValidExceptionId,
  validateNewException,
} from './validate.js';

const PARTITION = 'exception';

export interface TableExceptionStoreOptions {
  client: TableClient;
  clock?: () => Date;
  /** longest allowed validity in days (Config.exceptionMaxDays), default 90 */
  maxDays?: number;
  /** exceptions as evidence: create/revoke/expiry records, and rows honoured only when they match */
  evidence?: Pick<EvidenceStore, 'append' | 'get' | 'findByIdempotencyKey'>;
  log?: (line: string) => void;
}

interface Row {
  exception: ControlException;
  recordId?: string;
  etag: string;
}

function optional(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

const OPTIONAL_TEXT = [
  'ruleName',
  'revokedOn',
  'revokedBy',
  'revokedByObjectId',
  'revokedReason',
  'approvedByObjectId',
  'requestedBy',
  'requestedByObjectId',
  'restoreOf',
] as const;

function fromEntity(entity: Record<string, unknown>): ControlException {
  const exception: ControlException = {
    id: String(entity.rowKey),
    controlId: String(entity.controlId) as ControlId,
    scope: String(entity.scope),
    justification: String(entity.justification),
    ticket: String(entity.ticket),
    approvedBy: String(entity.approvedBy),
    approvedOn: String(entity.approvedOn),
    expiresOn: String(entity.expiresOn),
  };
  for (const field of OPTIONAL_TEXT) {
    const value = optional(entity[field]);
    if (value) exception[field] = value;
  }
  if (entity.state === 'requested' || entity.state === 'approved') exception.state = entity.state;
  if (entity.wideScope === true) exception.wideScope = true;
  return exception;
}

function toEntity(exception: ControlException, recordId?: string): TableEntity {
  const { id, ...fields } = exception;
  return { partitionKey: PARTITION, rowKey: id, ...fields, ...(recordId ? { recordId } : {}) };
}

function rowOf(entity: Record<string, unknown>): Row {
  return {
    exception: fromEntity(entity),
    ...(typeof entity.recordId === 'string' ? { recordId: entity.recordId } : {}),
    etag: String(entity.etag ?? ''),
  };
}

export class TableExceptionStore implements ExceptionStore {
  private readonly client: TableClient;
  private readonly clock: () => Date;
  readonly maxDays: number;
  private readonly evidence: TableExceptionStoreOptions['evidence'];
  private readonly log: (line: string) => void;
  /** verdicts by `${id} ${etag}`: a row is re-judged only when it changes */
  private readonly verdicts = new Map<string, TrustVerdict>();
  private readonly expiryRecorded = new Set<string>();
  /** the row (ETag, record id) behind each exception list() returned, for judging it */
  private readonly rowsOf = new WeakMap<ControlException, Row>();

  constructor(options: TableExceptionStoreOptions) {
    this.client = options.client;
    this.clock = options.clock ?? (() => new Date());
    this.maxDays = options.maxDays ?? DEFAULT_MAX_DAYS;
    this.evidence = options.evidence;
    this.log = options.log ?? (() => {});
  }

  ensureTable(): Promise<void> {
    return ensureTable(this.client);
  }

  async create(input: NewException): Promise<ControlException> {
    const now = this.clock();
    const { state, ...valid } = validateNewException(input, now, this.maxDays);
    const requested = state === 'requested';
    const exception: ControlException = {
      id: randomUUID(),
      ...valid,
      // a request names its requester; approvedBy is filled in by the second person (approve)
      ...(requested
        ? {
            approvedBy: '',
            requestedBy: valid.approvedBy,
            ...(valid.approvedByObjectId ? { requestedByObjectId: valid.approvedByObjectId } : {}),
            state: 'requested' as const,
          }
        : {}),
      approvedOn: now.toISOString(),
    };
    if (requested) delete exception.approvedByObjectId;
    // the record first: a row never exists without the evidence that approves (or requests) it
    const actor = requested ? (exception.requestedBy ?? valid.approvedBy) : exception.approvedBy;
    const record = await this.evidence?.append(exceptionEvidence('created', exception, actor));
    await this.client.createEntity(toEntity(exception, record?.recordId));
    return exception;
  }

  async get(id: string): Promise<ControlException | null> {
    const entity = await this.read(id);
    return entity ? fromEntity(entity) : null;
  }

  async list(): Promise<ControlException[]> {
    return (await this.rows()).map((row) => {
      this.rowsOf.set(row.exception, row);
      return row.exception;
    });
  }

  /**
   * Every exception whose row matches its evidence (revoked and expired included: callers filter
   * by time); forged and edited rows are left out and logged. Without an evidence store: list().
   */
  async honoured(): Promise<ControlException[]> {
    const all = await this.list();
    const verdicts = await Promise.all(
      all.map((exception) => {
        const row = this.rowsOf.get(exception);
        return row
          ? this.judge(row)
          : Promise.resolve<TrustVerdict>({
              trusted: false,
              kind: 'exception-forged',
              reason: 'row unknown',
            });
      }),
    );
    return all.filter((_exception, index) => verdicts[index]?.trusted);
  }

  private async rows(): Promise<Row[]> {
    const out: Row[] = [];
    for await (const entity of this.client.listEntities({
      queryOptions: { filter: odata`PartitionKey eq ${PARTITION}` },
    })) {
      out.push(rowOf(entity));
    }
    return out.sort(
      (a, b) =>
        b.exception.approvedOn.localeCompare(a.exception.approvedOn) ||
        a.exception.id.localeCompare(b.exception.id),
    );
  }

  /** Every row with its verdict against the evidence (verify; all trusted without an evidence store). */
  async judged(): Promise<Array<{ exception: ControlException; verdict: TrustVerdict }>> {
    const rows = await this.rows();
    return Promise.all(
      rows.map(async (row) => ({ exception: row.exception, verdict: await this.judge(row) })),
    );
  }

  private async judge(row: Row): Promise<TrustVerdict> {
    if (!this.evidence) return { trusted: true };
    const key = `${row.exception.id} ${row.etag}`;
    const cached = this.verdicts.get(key);
    if (cached) return cached;
    const verdict = await judgeException(
      { ...row.exception, ...(row.recordId ? { recordId: row.recordId } : {}) },
      this.evidence,
      this.maxDays,
    );
    if (!verdict.trusted)
      this.log(`warning: exception ${row.exception.id} is not honoured (${verdict.kind}): ${verdict.reason}`);
    this.verdicts.set(key, verdict);
    return verdict;
  }

  async active(now: Date): Promise<ControlException[]> {
    const at = now.getTime();
    const candidates = (await this.rows()).filter(
      (row) =>
        row.exception.revokedOn === undefined &&
        row.exception.state !== 'requested' &&
        Date.parse(row.exception.expiresOn) > at,
    );
    const verdicts = await Promise.all(candidates.map((row) => this.judge(row)));
    return candidates.filter((_row, index) => verdicts[index]?.trusted).map((row) => row.exception);
  }

  /** Appends an `exception-expired` record for every honoured exception past its expiry (idempotent). */
  async recordExpiries(now: Date): Promise<number> {
    const evidence = this.evidence;
    if (!evidence) return 0;
    let recorded = 0;
    for (const row of await this.rows()) {
      const { exception } = row;
      if (exception.revokedOn || Date.parse(exception.expiresOn) > now.getTime()) continue;
      if (this.expiryRecorded.has(exception.id) || !(await this.judge(row)).trusted) continue;
      await evidence.append(exceptionEvidence('expired', exception, 'driftwarden'));
      this.expiryRecorded.add(exception.id);
      recorded++;
    }
    return recorded;
  }

  async approve(id: string, approval: Approval): Promise<ControlException> {
    const approvedBy = typeof approval.approvedBy === 'string' ? approval.approvedBy.trim() : '';
    if (!approvedBy) throw new ExceptionValidationError('approvedBy', 'is required');
    for (;;) {
      const entity = await this.read(id);
      if (!entity) throw new ExceptionNotFoundError(id);
      const current = fromEntity(entity);
      if (current.state !== 'requested' || current.revokedOn) return current;
      const approved: ControlException = {
        ...current,
        state: 'approved',
        approvedBy,
        ...(approval.approvedByObjectId ? { approvedByObjectId: approval.approvedByObjectId } : {}),
        approvedOn: this.clock().toISOString(),
      };
      try {
        // the approval's record first; the row then names it (the record the row must match)
        const record = await this.evidence?.append(
          exceptionEvidence('approved', approved, approvedBy, current),
        );
        const recordId =
          record?.recordId ?? (typeof entity.recordId === 'string' ? entity.recordId : undefined);
        await this.client.updateEntity(toEntity(approved, recordId), 'Replace', { etag: entity.etag });
        return approved;
      } catch (error) {
        if (!(isRestError(error) && error.statusCode === 412)) throw error; // concurrent change: re-read
      }
    }
  }

  async revoke(id: string, revokedBy: string, options: RevokeOptions = {}): Promise<ControlException> {
    if (typeof revokedBy !== 'string' || revokedBy.trim() === '') {
      throw new ExceptionValidationError('revokedBy', 'is required');
    }
    for (;;) {
      const entity = await this.read(id);
      if (!entity) throw new ExceptionNotFoundError(id);
      const current = fromEntity(entity);
      if (current.revokedOn) return current; // first revocation stands: it is the audit record
      const revoked: ControlException = {
        ...current,
        revokedOn: this.clock().toISOString(),
        revokedBy: revokedBy.trim(),
        ...(options.objectId ? { revokedByObjectId: options.objectId } : {}),
        ...(options.reason?.trim() ? { revokedReason: options.reason.trim() } : {}),
      };
      const recordId = typeof entity.recordId === 'string' ? entity.recordId : undefined;
      try {
        // the revocation's record first (idempotent: a retried revoke keeps the first one's time)
        const record = await this.evidence?.append(
          exceptionEvidence('revoked', revoked, revoked.revokedBy ?? 'unknown', current),
        );
        const stored = record ? (record.after as ControlException) : revoked;
        const final: ControlException = {
          ...current,
          revokedOn: stored.revokedOn ?? revoked.revokedOn,
          revokedBy: stored.revokedBy ?? revoked.revokedBy,
          ...((stored.revokedByObjectId ?? revoked.revokedByObjectId)
            ? { revokedByObjectId: stored.revokedByObjectId ?? revoked.revokedByObjectId }
            : {}),
          ...((stored.revokedReason ?? revoked.revokedReason)
            ? { revokedReason: stored.revokedReason ?? revoked.revokedReason }
            : {}),
        } as ControlException;
        await this.client.updateEntity(
          { ...toEntity(final, recordId), ...(record ? { revokeRecordId: record.recordId } : {}) },
          'Replace',
          { etag: entity.etag },
        );
        return final;
      } catch (error) {
        if (!(isRestError(error) && error.statusCode === 412)) throw error; // concurrent revoke: re-read
      }
    }
  }

  private async read(id: string): Promise<(Record<string, unknown> & { etag: string }) | null> {
    // Any id a row can have (not only our UUIDs): every row the listing shows must be revocable.
    if (!isValidExceptionId(id)) return null; // cannot be a RowKey: no such row
    try {
      return await this.client.getEntity(PARTITION, id);
    } catch (error) {
      if (isRestError(error) && error.statusCode === 404) return null;
      throw error;
    }
  }
}

/** Store over the configured exceptions table (created if missing), expiry bound from configuration. */
export async function createExceptionStore(
  config: Pick<Config, 'storage' | 'exceptionsTable' | 'exceptionMaxDays'>,
  options: {
    clock?: () => Date;
    clientOptions?: TableClientOptions;
    evidence?: TableExceptionStoreOptions['evidence'];
    log?: (line: string) => void;
  } = {},
): Promise<TableExceptionStore> {
  const client = createTableClient(config.storage, config.exceptionsTable, options.clientOptions);
  const store = new TableExceptionStore({
    client,
    maxDays: config.exceptionMaxDays,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.evidence ? { evidence: options.evidence } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  await store.ensureTable();
  return store;
}
