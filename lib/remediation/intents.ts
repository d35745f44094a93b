import { createHash } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import { ensureTable } from '../azure/tables.js';
import { isRestError } from '../util/errors.js';
import type { Intent, IntentStore, IntentWrite } from './types.js';

/**
 * Write intents in their own table (default `<evidence table>Intents`), not in the evidence table:
 * they are working state that gets rewritten, while evidence is append-only and hash-chained.
 * Keys are hashes of the idempotency key, so nothing user-controlled reaches PartitionKey/RowKey.
 */

interface IntentEntity {
  partitionKey: string;
  rowKey: string;
  key: string;
  resourceId: string;
  state: string;
  leaseUntil: string;
  writes: string;
  writeRun?: string;
}

function keys(key: string): { partitionKey: string; rowKey: string } {
  const hash = createHash('sha256').update(key, 'utf8').digest('hex');
  // 256 partitions: intents are independent, so spread the load
  return { partitionKey: `i${hash.slice(0, 2)}`, rowKey: hash };
}

/** The loop guard's announcement of a write we are about to make (never an idempotency prefix: no '|'). */
function ownWriteKey(resourceId: string): string {
  return `own-write:${resourceId.toLowerCase()}`;
}

function conflict(error: unknown, ...statuses: number[]): boolean {
  return isRestError(error) && error.statusCode !== undefined && statuses.includes(error.statusCode);
}

export class TableIntentStore implements IntentStore {
  private ready: Promise<void> | null = null;

  constructor(private readonly table: TableClient) {}

  private ensure(): Promise<void> {
    if (!this.ready) {
      this.ready = ensureTable(this.table).catch((error: unknown) => {
        this.ready = null;
        throw error;
      });
    }
    return this.ready;
  }

  async get(key: string): Promise<Intent | null> {
    await this.ensure();
    const { partitionKey, rowKey } = keys(key);
    try {
      const entity = await this.table.getEntity<IntentEntity>(partitionKey, rowKey);
      return {
        key: entity.key,
        resourceId: entity.resourceId,
        state: entity.state === 'done' ? 'done' : 'pending',
        leaseUntil: entity.leaseUntil,
        writes: JSON.parse(entity.writes) as IntentWrite[],
        ...(typeof entity.writeRun === 'string' && entity.writeRun ? { writeRun: entity.writeRun } : {}),
        etag: entity.etag,
      };
    } catch (error) {
      if (conflict(error, 404)) return null;
      throw error;
    }
  }

  async claim(intent: Intent, expected: Intent | null): Promise<Intent | null> {
    await this.ensure();
    const entity: IntentEntity = {
      ...keys(intent.key),
      key: intent.key,
      resourceId: intent.resourceId,
      state: intent.state,
      leaseUntil: intent.leaseUntil,
      writes: JSON.stringify(intent.writes),
      ...(intent.writeRun ? { writeRun: intent.writeRun } : {}),
    };
    try {
      const response =
        expected === null
          ? await this.table.createEntity(entity)
          : await this.table.updateEntity(entity, 'Replace', { etag: expected.etag ?? '*' });
      return { ...intent, etag: response.etag };
    } catch (error) {
      if (conflict(error, 409, 412, 404)) return null;
      throw error;
    }
  }

  async complete(key: string): Promise<void> {
    await this.ensure();
    await this.table.updateEntity({ ...keys(key), state: 'done' }, 'Merge', { etag: '*' });
  }

  async markOwnWrite(resourceId: string, until: Date): Promise<void> {
    await this.ensure();
    const key = ownWriteKey(resourceId);
    await this.table.upsertEntity(
      { ...keys(key), key, resourceId, state: 'own-write', leaseUntil: until.toISOString(), writes: '[]' },
      'Replace',
    );
  }

  async takeOwnWrite(resourceId: string, now: Date): Promise<boolean> {
    await this.ensure();
    const { partitionKey, rowKey } = keys(ownWriteKey(resourceId));
    let entity: IntentEntity & { etag: string };
    try {
      entity = await this.table.getEntity<IntentEntity>(partitionKey, rowKey);
    } catch (error) {
      if (conflict(error, 404)) return false;
      throw error;
    }
    try {
      // conditional delete: of two deliveries racing, only one takes the announcement
      await this.table.deleteEntity(partitionKey, rowKey, { etag: entity.etag });
    } catch (error) {
      if (conflict(error, 404, 412)) return false;
      throw error;
    }
    return Date.parse(entity.leaseUntil) > now.getTime();
  }

  async clearOwnWrite(resourceId: string): Promise<void> {
    await this.ensure();
    const { partitionKey, rowKey } = keys(ownWriteKey(resourceId));
    try {
      await this.table.deleteEntity(partitionKey, rowKey);
    } catch (error) {
      if (!conflict(error, 404)) throw error;
    }
  }

  async release(key: string): Promise<void> {
    await this.ensure();
    try {
      await this.table.updateEntity({ ...keys(key), leaseUntil: new Date(0).toISOString() }, 'Merge', {
        etag: '*',
      });
    } catch (error) {
      if (!conflict(error, 404)) throw error;
    }
  }
}
