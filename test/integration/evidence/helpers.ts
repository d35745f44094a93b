import { randomUUID } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import { inject } from 'vitest';
import { createTableClient, ensureTable } from '../../../lib/azure/tables.js';
import { chainFor, DEFAULT_SUB_CHAINS, subChainOf } from '../../../lib/evidence/layout.js';
import { TableEvidenceStore, type TableEvidenceStoreOptions } from '../../../lib/evidence/table-store.js';
import type { EvidenceInput } from '../../../lib/evidence/types.js';

export const SUB_A = '00000000-0000-0000-0000-00000000000a';
export const SUB_B = '00000000-0000-0000-0000-00000000000b';

export function uniqueTableName(prefix = 'ev'): string {
  return `${prefix}${randomUUID().replace(/-/g, '')}`.slice(0, 60);
}

/** A raw client on the shared Azurite, for setup and for tampering with rows directly. */
export async function rawTable(name = uniqueTableName()): Promise<TableClient> {
  const client = createTableClient({ connectionString: inject('azurite').connectionString }, name);
  await ensureTable(client);
  return client;
}

export async function newStore(options: Partial<Omit<TableEvidenceStoreOptions, 'client'>> = {}) {
  const client = await rawTable();
  const store = new TableEvidenceStore({
    client,
    remediatorIdentity: 'mi-test',
    remediatorVersion: '0.0.0-test',
    ...options,
  });
  return { store, client };
}

let counter = 0;
export function input(overrides: Partial<EvidenceInput> = {}): EvidenceInput {
  counter++;
  const subscriptionId = overrides.subscriptionId ?? SUB_A;
  return {
    idempotencyKey: `event:e${counter}-${randomUUID()}:STG-PUBLIC-BLOB`,
    trigger: 'event',
    eventId: `e${counter}`,
    correlationId: `c${counter}`,
    subscriptionId,
    resourceId: `/subscriptions/${subscriptionId}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa${counter}`,
    resourceType: 'Microsoft.Storage/storageAccounts',
    controlId: 'STG-PUBLIC-BLOB',
    criteria: ['CC6.1', 'CC6.6'],
    outcome: 'remediated',
    action: 'set allowBlobPublicAccess=false',
    message: 'anonymous blob access was enabled',
    before: { allowBlobPublicAccess: true },
    after: { allowBlobPublicAccess: false },
    actor: 'alice@contoso.example',
    exceptionId: null,
    ...overrides,
  };
}

/** A clock that the test moves by hand. */
export function manualClock(start: string) {
  let now = Date.parse(start);
  return {
    clock: () => new Date(now),
    set(iso: string) {
      now = Date.parse(iso);
    },
    advance(ms: number) {
      now += ms;
    },
  };
}

/**
 * One storage account of `subscriptionId`: records of one resource always land in one sub-chain,
 * so tests of one chain's mechanics (links, group commit, head races) give every input this id.
 */
export function oneResource(subscriptionId = SUB_A, name = 'saone'): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/${name}`;
}

/** The chain id a record of `resourceId` gets in the month of `at` (layout.ts, default sub-chains). */
export function chainIdFor(
  subscriptionId: string,
  resourceId: string,
  at: Date,
  subChains = DEFAULT_SUB_CHAINS,
): string {
  return chainFor(subscriptionId, at, subChainOf(resourceId, subChains)).chainId;
}
