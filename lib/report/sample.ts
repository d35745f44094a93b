import { createHash } from 'node:crypto';
import type { ControlException } from '../controls/types.js';
import { recordHash } from '../evidence/hash.js';
import type { EvidenceRecord, Outcome } from '../evidence/types.js';
import { inPeriod, monthsOf, type Period } from './period.js';
import type { EvidenceSource } from './source.js';
import type { AnchorLookup, AnchorRef } from './types.js';

/**
 * Reproducible audit samples. Every item of the population gets the key
 * SHA-256(seed ␀ item id); the sample is the `size` items with the smallest keys. So the same
 * seed over the same population always picks the same items, whatever order they are read in,
 * and anyone can re-derive the choice from the population CSV (README "For your auditor").
 * One pass, memory bounded by `size`.
 */

export const SAMPLE_POPULATIONS = [
  'remediations',
  'failures',
  'restores',
  'exemptions',
  'evaluations',
  'exceptions',
] as const;
export type SamplePopulation = (typeof SAMPLE_POPULATIONS)[number];

const RECORD_FILTERS: Record<Exclude<SamplePopulation, 'exceptions'>, (record: EvidenceRecord) => boolean> = {
  remediations: (r) => r.outcome === 'remediated',
  failures: (r) => r.outcome === 'remediation-failed' || r.outcome === 'audit-only',
  restores: (r) => r.outcome === 'restored',
  exemptions: (r) => r.outcome === 'exempted',
  evaluations: (r) =>
    (['compliant', 'remediated', 'audit-only', 'remediation-failed', 'exempted'] as Outcome[]).includes(
      r.outcome,
    ),
};

export const MAX_SAMPLE_SIZE = 1000;

export interface SampleProof {
  chainId: string;
  sequence: number;
  hash: string;
  previousHash: string;
  /** the stored fields hash to `hash` (recomputed now) */
  hashVerified: boolean;
  /** the signed digest anchoring this position; null when none does (yet) or digests are not configured */
  anchor: AnchorRef | null;
  anchorStatus: 'anchored' | 'not yet anchored' | 'digests not configured';
}

export interface SampleItem {
  rank: number;
  /** SHA-256(seed ␀ id), hex: the sort key that chose this item */
  selectionKey: string;
  id: string;
  record?: EvidenceRecord;
  exception?: ControlException;
  proof?: SampleProof;
}

export interface Sample {
  population: SamplePopulation;
  period: { from: string; to: string };
  seed: string;
  size: number;
  populationSize: number;
  /** SHA-256 of the population's ids in chain order, one per line ('\n'-terminated) */
  populationDigest: string;
  method: string;
  items: SampleItem[];
}

export function selectionKey(seed: string, id: string): string {
  return createHash('sha256').update(`${seed}\u0000${id}`, 'utf8').digest('hex');
}

/** The `size` smallest keys seen, kept sorted (binary insertion; size ≤ 1000). */
class Smallest<T> {
  readonly items: { key: string; value: T }[] = [];
  constructor(private readonly size: number) {}
  offer(key: string, value: T): void {
    const items = this.items;
    const last = items.at(-1);
    if (items.length >= this.size && last && key >= last.key) return;
    let low = 0;
    let high = items.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((items[mid]?.key ?? '') < key) low = mid + 1;
      else high = mid;
    }
    items.splice(low, 0, { key, value });
    if (items.length > this.size) items.pop();
  }
}

export interface SampleInput {
  period: Period;
  population: SamplePopulation;
  size: number;
  seed: string;
  source: EvidenceSource;
  exceptions: () => Promise<readonly ControlException[]>;
  anchors?: AnchorLookup;
}

export async function drawSample(input: SampleInput): Promise<Sample> {
  if (!Number.isInteger(input.size) || input.size < 1 || input.size > MAX_SAMPLE_SIZE)
    throw new RangeError(`sample size must be a whole number from 1 to ${MAX_SAMPLE_SIZE}`);
  const digest = createHash('sha256');
  let populationSize = 0;
  const base = {
    population: input.population,
    period: { from: input.period.from, to: input.period.to },
    seed: input.seed,
    size: input.size,
    method: 'SHA-256(seed + NUL + id) per item; the items with the smallest keys, in key order',
  };

  if (input.population === 'exceptions') {
    const chosen = new Smallest<ControlException>(input.size);
    const inForce = (await input.exceptions())
      .filter((e) => {
        const end = Math.min(Date.parse(e.expiresOn), e.revokedOn ? Date.parse(e.revokedOn) : Infinity);
        return Date.parse(e.approvedOn) < input.period.endMs && end >= input.period.startMs;
      })
      .sort((a, b) => a.approvedOn.localeCompare(b.approvedOn) || a.id.localeCompare(b.id));
    for (const exception of inForce) {
      populationSize += 1;
      digest.update(`${exception.id}\n`);
      chosen.offer(selectionKey(input.seed, exception.id), exception);
    }
    return {
      ...base,
      populationSize,
      populationDigest: digest.digest('hex'),
      items: chosen.items.map(({ key, value }, index) => ({
        rank: index + 1,
        selectionKey: key,
        id: value.id,
        exception: value,
      })),
    };
  }

  const belongs = RECORD_FILTERS[input.population];
  const chosen = new Smallest<EvidenceRecord>(input.size);
  for (const chain of await input.source.chains(monthsOf(input.period))) {
    for await (const { record } of input.source.records(chain)) {
      if (!belongs(record) || !inPeriod(input.period, record.time)) continue;
      populationSize += 1;
      digest.update(`${record.recordId}\n`);
      chosen.offer(selectionKey(input.seed, record.recordId), record);
    }
  }
  const items: SampleItem[] = [];
  for (const [index, { key, value }] of chosen.items.entries()) {
    const anchor = input.anchors ? await input.anchors.anchorFor(value.chainId, value.sequence) : null;
    items.push({
      rank: index + 1,
      selectionKey: key,
      id: value.recordId,
      record: value,
      proof: {
        chainId: value.chainId,
        sequence: value.sequence,
        hash: value.hash,
        previousHash: value.previousHash,
        hashVerified: recordHash(value) === value.hash,
        anchor,
        anchorStatus: anchor ? 'anchored' : input.anchors ? 'not yet anchored' : 'digests not configured',
      },
    });
  }
  return { ...base, populationSize, populationDigest: digest.digest('hex'), items };
}
