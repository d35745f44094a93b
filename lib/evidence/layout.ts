/**
 * Where evidence lives inside the one evidence table. Every key below is built from encoded parts
 * (keys.ts), so hostile subscription ids cannot break or collide keys.
 *
 *   chain partition  c~<sub>~<yyyy-mm>[~<nn>]  head            {sequence, hash}  ETag-guarded
 *                                        r~<sequence:10>      the record
 *                                        i~<sha256(key)>      idempotency index -> sequence
 *   claim partition  k~<h>               <sha256(claim key)>  which chain partition owns the key
 *   chain registry   chains              <chain partition>    {chainId}  every chain and sub-chain
 *   log index        log~<h>  (16)       <inverted ms:13>~<recordId>  filter fields (for query)
 *                    log      (legacy)   same rows, written before the index was sharded (read only)
 *
 * Chain ids. A chain is per subscription per UTC month, split into `subChains` sub-chains (default
 * 16) by a hash of the resource id (ARCHITECTURE.md, "Evidence at scale"): chainId
 * `<sub>:<yyyy-mm>~<nn>` (nn = 00..subChains-1, two digits). With one sub-chain the id is the plain
 * `<sub>:<yyyy-mm>` (every chain written before sub-chains existed: still read and verified).
 * chainFor/parseChainId/chainFromId are the only code that builds or parses chain ids, and every
 * chain, whatever its id, is listed in the registry partition when first written: that registry
 * is the one list of chains (verify, digests, the period report).
 */
import { createHash } from 'node:crypto';
import { encodeKey, joinKey } from './keys.js';

export const HEAD_ROW = 'head';
export const REGISTRY_PARTITION = 'chains';
/** The log index before sharding: still read (old rows stay queryable), never written. */
export const LEGACY_LOG_PARTITION = 'log';
/** Log index shards: 16 partitions, so no one partition takes every record's index row. */
export const LOG_SHARDS = 16;
/** Default sub-chains per subscription and month (sha256(top-level resource id) mod 16). */
export const DEFAULT_SUB_CHAINS = 16;
export const MAX_SUB_CHAINS = 100;
const SEQUENCE_WIDTH = 10;
const MAX_MS = 9_999_999_999_999;

export interface ChainRef {
  chainId: string;
  partitionKey: string;
}

/**
 * Chains are per subscription per UTC month (bounded partitions, a month is verifiable on its
 * own), and optionally per sub-chain (`subChain` from subChainOf; null = the plain monthly chain).
 */
export function chainFor(subscriptionId: string, at: Date, subChain: number | null = null): ChainRef {
  const month = at.toISOString().slice(0, 7);
  if (subChain === null) {
    return {
      chainId: `${subscriptionId}:${month}`,
      partitionKey: joinKey('c', encodeKey(subscriptionId), month),
    };
  }
  const lane = subChainLabel(subChain);
  return {
    chainId: `${subscriptionId}:${month}~${lane}`,
    partitionKey: joinKey('c', encodeKey(subscriptionId), month, lane),
  };
}

function subChainLabel(subChain: number): string {
  if (!Number.isInteger(subChain) || subChain < 0 || subChain >= MAX_SUB_CHAINS)
    throw new RangeError(`sub-chain ${subChain} out of range 0..${MAX_SUB_CHAINS - 1}`);
  return String(subChain).padStart(2, '0');
}

/**
 * Which sub-chain a resource's records go to: a stable hash of the lower-cased top-level resource
 * (`/subscriptions/…/resourceGroups/…/providers/<ns>/<type>/<name>`), so one resource's history,
 * with its child resources' (containers, rules, diagnostic settings), stays in one sub-chain
 * (totally ordered: a `resource-gone` of an account follows its containers' records) while
 * different resources of a subscription append in parallel. Other ids (tenant-level records) hash
 * whole. null when the subscription has a single chain.
 */
export function subChainOf(resourceId: string, subChains: number): number | null {
  if (subChains <= 1) return null;
  const id = resourceId.toLowerCase();
  const topLevel = /^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/[^/]+\/[^/]+\/[^/]+/.exec(
    id,
  )?.[0];
  const digest = createHash('sha256')
    .update(topLevel ?? id, 'utf8')
    .digest();
  return digest.readUInt32BE(0) % Math.min(subChains, MAX_SUB_CHAINS);
}

/** What a chain id names: its subscription, UTC month and sub-chain (null: the plain monthly chain). */
export interface ChainParts {
  subscriptionId: string;
  /** YYYY-MM */
  month: string;
  subChain: number | null;
}

/**
 * Parses a chain id, `<sub>:<yyyy-mm>` or `<sub>:<yyyy-mm>~<nn>` (the subscription part may itself
 * contain ':' and '~'). The one parser: verify, the digests and the period report select chains
 * by month through it, so a sub-chain is never mistaken for "not a chain".
 */
export function parseChainId(chainId: string): ChainParts | null {
  const match = /^(.*):(\d{4}-\d{2})(?:~(\d{2}))?$/s.exec(chainId);
  if (!match?.[1] || !match[2]) return null;
  return { subscriptionId: match[1], month: match[2], subChain: match[3] ? Number(match[3]) : null };
}

/** Inverse of chainFor on the chain id. */
export function chainFromId(chainId: string): ChainRef | null {
  const parts = parseChainId(chainId);
  if (!parts) return null;
  try {
    const lane = parts.subChain === null ? [] : [subChainLabel(parts.subChain)];
    return { chainId, partitionKey: joinKey('c', encodeKey(parts.subscriptionId), parts.month, ...lane) };
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

/**
 * The key a record's chain is claimed under (claims.ts). A sweep's records of one resource share
 * one claim: they always land in the same sub-chain (the resource's), so one claim row per
 * resource and sweep fixes their chain, instead of one per control decision (a sweep decides
 * ~3-4 controls per resource; each claim row is a Table operation). Their idempotency rows stay
 * per key, so dedup is unchanged. Sweep keys are `sweep:<sweepId>:<resource id>:...`
 * (remediation/records.ts); the group is the key up to the end of the resource id (ARM ids hold
 * no ':'). Every other key is its own claim.
 */
export function claimKeyOf(idempotencyKey: string): string {
  if (!idempotencyKey.startsWith('sweep:')) return idempotencyKey;
  const resourceAt = idempotencyKey.indexOf(':/subscriptions/');
  if (resourceAt < 0) return idempotencyKey;
  const end = idempotencyKey.indexOf(':', resourceAt + 1);
  return end < 0 ? idempotencyKey : `claim-group:${idempotencyKey.slice(0, end)}`;
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

/** The log shard of a record: one hex digit of sha256(recordId), 16 partitions. */
export function logPartition(recordId: string): string {
  return `log~${createHash('sha256').update(recordId, 'utf8').digest('hex').slice(0, 1)}`;
}

/** Every partition the log index may hold rows in: the 16 shards, then the legacy one. */
export function logPartitions(): string[] {
  return [...Array.from({ length: LOG_SHARDS }, (_, i) => `log~${i.toString(16)}`), LEGACY_LOG_PARTITION];
}

/** Log RowKeys sort newest first: inverted epoch milliseconds, then the record id. */
export function logRow(time: string, recordId: string): string {
  return `${invertedMs(Date.parse(time))}~${recordId}`;
}

/** Clamped to [1970, 2286] so every value keeps 13 digits and string order matches time order. */
export function invertedMs(ms: number): string {
  return String(MAX_MS - Math.min(MAX_MS, Math.max(0, ms))).padStart(13, '0');
}
