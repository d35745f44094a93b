/**
 * Where evidence lives inside the one evidence table. Every key below is built from encoded parts
 * (keys.ts), so hostile subscription ids cannot break or collide keys.
 *
 *   chain partition  c~<sub>~<yyyy-mm>   head                 {sequence, hash}  ETag-guarded
 *                                        r~<sequence:10>      the record
 *                                        i~<sha256(key)>      idempotency index -> sequence
 *   claim partition  k~<h>               <sha256(key)>        which chain partition owns the key
 *   chain registry   chains              <chain partition>    {chainId}           (for verify)
 *   log index        log                 <inverted ms:13>~<recordId>  filter fields (for query)
 */
import { createHash } from 'node:crypto';
import { encodeKey, joinKey } from './keys.js';

export const HEAD_ROW = 'head';
export const REGISTRY_PARTITION = 'chains';
export const LOG_PARTITION = 'log';
const SEQUENCE_WIDTH = 10;
const MAX_MS = 9_999_999_999_999;

export interface ChainRef {
  chainId: string;
  partitionKey: string;
}

/** Chains are per subscription per UTC month: bounded partitions, and a month is verifiable on its own. */
export function chainFor(subscriptionId: string, at: Date): ChainRef {
  const month = at.toISOString().slice(0, 7);
  return {
    chainId: `${subscriptionId}:${month}`,
    partitionKey: joinKey('c', encodeKey(subscriptionId), month),
  };
}

/** Inverse of chainFor on the chain id (the subscription part may itself contain ':'). */
export function chainFromId(chainId: string): ChainRef | null {
  const match = /^(.*):(\d{4}-\d{2})$/s.exec(chainId);
  if (!match?.[1] || !match[2]) return null;
  try {
    return { chainId, partitionKey: joinKey('c', encodeKey(match[1]), match[2]) };
  } catch {
    return null;
  }
}

export function recordRow(sequence: number): string {
  return `r~${String(sequence).padStart(SEQUENCE_WIDTH, '0')}`;
}

/** Sequence from a record RowKey, or null when the row is not a record row. */
export function sequenceOfRow(rowKey: string): number | null {
  const match = /^r~(\d{10})$/.exec(rowKey);
  return match?.[1] ? Number(match[1]) : null;
}

export function keyHash(idempotencyKey: string): string {
  return createHash('sha256').update(idempotencyKey, 'utf8').digest('hex');
}

export function idempotencyRow(hash: string): string {
  return `i~${hash}`;
}

/** 16 claim partitions: spreads load, and still lets appendMany batch claims. */
export function claimPartition(hash: string): string {
  return `k~${hash.slice(0, 1)}`;
}

/** recordId = base64url(chainId) + '.' + sequence: get() is one point read, no lookup table. */
export function recordIdOf(chainId: string, sequence: number): string {
  return `${Buffer.from(chainId, 'utf8').toString('base64url')}.${sequence}`;
}

export function parseRecordId(recordId: string): { chain: ChainRef; sequence: number } | null {
  const match = /^([A-Za-z0-9_-]{1,1400})\.([1-9]\d{0,9})$/.exec(recordId);
  if (!match?.[1] || !match[2]) return null;
  const chain = chainFromId(Buffer.from(match[1], 'base64url').toString('utf8'));
  if (!chain || recordIdOf(chain.chainId, Number(match[2])) !== recordId) return null;
  return { chain, sequence: Number(match[2]) };
}

/** Log RowKeys sort newest first: inverted epoch milliseconds, then the record id. */
export function logRow(time: string, recordId: string): string {
  return `${invertedMs(Date.parse(time))}~${recordId}`;
}

/** Clamped to [1970, 2286] so every value keeps 13 digits and string order matches time order. */
export function invertedMs(ms: number): string {
  return String(MAX_MS - Math.min(MAX_MS, Math.max(0, ms))).padStart(13, '0');
}
