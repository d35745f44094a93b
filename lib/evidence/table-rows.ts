import type { TableClient } from '@azure/data-tables';
import { isRestError } from '../util/errors.js';

/** Table Storage's limit on operations in one entity-group transaction. */
export const MAX_TRANSACTION_OPERATIONS = 100;

export function isStatus(error: unknown, ...codes: number[]): boolean {
  return isRestError(error) && error.statusCode !== undefined && codes.includes(error.statusCode);
}

/** One entity by key, or null when absent (404); every other error propagates. */
export async function readEntity(
  client: TableClient,
  partitionKey: string,
  rowKey: string,
): Promise<(Record<string, unknown> & { etag: string }) | null> {
  try {
    return await client.getEntity(partitionKey, rowKey);
  } catch (error) {
    if (isStatus(error, 404)) return null;
    throw error;
  }
}
