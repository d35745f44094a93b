import { createHash } from 'node:crypto';
import type { ControlId } from '../lib/controls/types.js';
import { GENESIS_HASH, recordHash } from '../lib/evidence/hash.js';
import { recordIdOf } from '../lib/evidence/layout.js';
import type { EvidenceInput, EvidenceRecord, Outcome } from '../lib/evidence/types.js';
import type { ChainHead, EvidenceSource, PeriodChain, PositionedRecord } from '../lib/report/source.js';

/**
 * Synthetic evidence for the report bench: a year over 8 subscriptions with the outcome mix of a
 * real estate (mostly compliant sweep records, event remediations with event times, some audit
 * findings and exemptions). `GeneratedSource` yields whole hash-chained records (so the report's
 * verification recomputes real hashes) without a store: the stand-in for volumes Azurite cannot
 * be filled with on this machine in bench time.
 */

export const BENCH_SUBS = Array.from(
  { length: 8 },
  (_, i) => `bbbbbbbb-0000-4000-8000-${String(i + 1).padStart(12, '0')}`,
);
const CONTROLS: ControlId[] = [
  'STG-PUBLIC-BLOB',
  'STG-HTTPS-ONLY',
  'STG-MIN-TLS',
  'NSG-MGMT-PORT',
  'NSG-OPEN-INBOUND',
];
export const YEAR_START = Date.parse('2025-01-01T00:00:00Z');
export const YEAR_MS = 365 * 86_400_000;

function outcomeOf(i: number): Outcome {
  const r = (i * 2654435761) % 100;
  if (r < 70) return 'compliant';
  if (r < 85) return 'remediated';
  if (r < 90) return 'audit-only';
  if (r < 95) return 'exempted';
  return 'skipped';
}

/** The i-th input of subscription `sub` (deterministic). */
export function benchInput(sub: string, i: number, timeMs: number): EvidenceInput {
  const outcome = outcomeOf(i);
  const event = outcome === 'remediated' && i % 3 !== 0;
  const controlId = CONTROLS[i % CONTROLS.length] as ControlId;
  return {
    idempotencyKey: `bench:${sub}:${i}`,
    trigger: event ? 'event' : 'sweep',
    eventId: event ? `ev-${i}` : null,
    correlationId: null,
    subscriptionId: sub,
    resourceId: `/subscriptions/${sub}/resourceGroups/rg-${i % 50}/providers/Microsoft.Storage/storageAccounts/sa${i % 5000}`,
    resourceType: 'Microsoft.Storage/storageAccounts',
    controlId,
    criteria: ['CC6.1'],
    outcome,
    action: outcome === 'remediated' ? 'set allowBlobPublicAccess=false' : 'none',
    message: 'bench',
    before: { allowBlobPublicAccess: outcome === 'remediated' },
    after: { allowBlobPublicAccess: false },
    actor: event ? `user${i % 7}@contoso.example` : null,
    exceptionId: outcome === 'exempted' ? 'exc-1' : null,
    sweepId: event ? null : new Date(timeMs).toISOString().slice(0, 7),
    ruleName: null,
    ...(event ? { eventTime: new Date(timeMs - 2000 - (i % 120) * 1000).toISOString() } : {}),
  };
}

export class GeneratedSource implements EvidenceSource {
  private readonly heads = new Map<string, ChainHead>();

  /** `total` records spread evenly over 12 months × BENCH_SUBS. */
  constructor(private readonly total: number) {}

  async chains(months: readonly string[]): Promise<PeriodChain[]> {
    return months.flatMap((month) =>
      BENCH_SUBS.map((sub) => ({ chainId: `${sub}:${month}`, subscriptionId: sub, month })),
    );
  }

  async *records(chain: PeriodChain): AsyncIterable<PositionedRecord> {
    const perChain = Math.floor(this.total / (12 * BENCH_SUBS.length));
    const monthStart = Date.parse(`${chain.month}-01T00:00:00Z`);
    let previousHash = GENESIS_HASH;
    for (let sequence = 1; sequence <= perChain; sequence++) {
      const timeMs = monthStart + 3600_000 + Math.floor((sequence / perChain) * 27 * 86_400_000);
      const input = benchInput(chain.subscriptionId, sequence, timeMs);
      const base: Omit<EvidenceRecord, 'hash'> = {
        ...input,
        sweepId: input.sweepId ?? null,
        ruleName: null,
        recordId: recordIdOf(chain.chainId, sequence),
        time: new Date(timeMs).toISOString(),
        remediatorIdentity: 'bench',
        remediatorVersion: '0',
        chainId: chain.chainId,
        sequence,
        previousHash,
      };
      const record = { ...base, hash: recordHash(base) } as EvidenceRecord;
      previousHash = record.hash;
      yield { position: sequence, record };
    }
    this.heads.set(chain.chainId, { sequence: perChain, hash: previousHash });
  }

  async head(chain: PeriodChain): Promise<ChainHead | null> {
    return this.heads.get(chain.chainId) ?? null;
  }
}

export function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}
