/**
 * Exception registry in Azure Table Storage: partition `exception`, RowKey = exception id (a UUID).
 * The registry is an audit trail: revoke records revokedOn/revokedBy with an ETag-guarded update
 * and never deletes; list() returns everything, active(now) what is neither expired nor revoked.
 * The registry is small (hundreds of rows), so active() filters client-side after one query.
 */
import { randomUUID } from 'node:crypto';
import { odata, type TableClient, type TableEntity } from '@azure/data-tables';
import { createTableClient, ensureTable, type TableClientOptions } from '../azure/tables.js';
import type { Config } from '../config.js';
import type { ControlException, ControlId } from '../controls/types.js';
import { isRestError } from '../util/errors.js';
import type { Approval, ExceptionStore, NewException } from './types.js';
import {
  DEFAULT_MAX_DAYS,
  ExceptionNotFoundError,
  ExceptionValidationError,
  validateNewException,
} from './validate.js';

const PARTITION = 'exception';
const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface TableExceptionStoreOptions {
  client: TableClient;
  clock?: () => Date;
  /** longest allowed validity in days (Config.exceptionMaxDays), default 90 */
  maxDays?: number;
}

function optional(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

const OPTIONAL_TEXT = [
  'ruleName',
  'revokedOn',
  'revokedBy',
  'revokedByObjectId',
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

function toEntity(exception: ControlException): TableEntity {
  const { id, ...fields } = exception;
  return { partitionKey: PARTITION, rowKey: id, ...fields };
}

export class TableExceptionStore implements ExceptionStore {
  private readonly client: TableClient;
  private readonly clock: () => Date;
  readonly maxDays: number;

  constructor(options: TableExceptionStoreOptions) {
    this.client = options.client;
    this.clock = options.clock ?? (() => new Date());
    this.maxDays = options.maxDays ?? DEFAULT_MAX_DAYS;
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
    await this.client.createEntity(toEntity(exception));
    return exception;
  }

  async get(id: string): Promise<ControlException | null> {
    const entity = await this.read(id);
    return entity ? fromEntity(entity) : null;
  }

  async list(): Promise<ControlException[]> {
    const out: ControlException[] = [];
    for await (const entity of this.client.listEntities({
      queryOptions: { filter: odata`PartitionKey eq ${PARTITION}` },
    })) {
      out.push(fromEntity(entity));
    }
    return out.sort((a, b) => b.approvedOn.localeCompare(a.approvedOn) || a.id.localeCompare(b.id));
  }

  async active(now: Date): Promise<ControlException[]> {
    const at = now.getTime();
    return (await this.list()).filter(
      (item) => item.revokedOn === undefined && item.state !== 'requested' && Date.parse(item.expiresOn) > at,
    );
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
        await this.client.updateEntity(toEntity(approved), 'Replace', { etag: entity.etag });
        return approved;
      } catch (error) {
        if (!(isRestError(error) && error.statusCode === 412)) throw error; // concurrent change: re-read
      }
    }
  }

  async revoke(id: string, revokedBy: string, revokedByObjectId?: string | null): Promise<ControlException> {
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
        ...(revokedByObjectId ? { revokedByObjectId } : {}),
      };
      try {
        await this.client.updateEntity(toEntity(revoked), 'Replace', { etag: entity.etag });
        return revoked;
      } catch (error) {
        if (!(isRestError(error) && error.statusCode === 412)) throw error; // concurrent revoke: re-read
      }
    }
  }

  private async read(id: string): Promise<(Record<string, unknown> & { etag: string }) | null> {
    if (typeof id !== 'string' || !ID.test(id)) return null; // not one of our ids: never a valid key
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
  options: { clock?: () => Date; clientOptions?: TableClientOptions } = {},
): Promise<TableExceptionStore> {
  const client = createTableClient(config.storage, config.exceptionsTable, options.clientOptions);
  const store = new TableExceptionStore({
    client,
    maxDays: config.exceptionMaxDays,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  await store.ensureTable();
  return store;
}
