/**
 * `driftwarden verify` against the anchors: checks the digest chain (trusted key, signatures, no
 * gap, every link), then each evidence chain against what the digests anchored. Classes:
 *
 *   digest-edited   a digest does not parse, its signature fails with the trusted key, or a link
 *                   to it names another hash/signature
 *   digest-missing  a digest sequence number is absent, or records that should have been anchored
 *                   by now are not (the latest digests deleted, or rows hidden from the publisher)
 *   edited / inserted / deleted / broken-link   the table's own chain check (verify.ts)
 *   rewritten       records re-chained: the record at an anchored position has another hash
 *   truncated       the chain ends before the latest anchored head
 *   rolled-back     the chain is exactly in an earlier anchored state (the table restored to a snapshot)
 *   chain-deleted   an anchored chain has no rows at all
 *
 * Records after a chain's latest anchor are "not yet anchored" (reported, not an error, unless
 * overdue). A period (--from/--to) reads only the chains of the months it overlaps and the
 * digests published since its start: its cost is that period's records, not the whole history.
 */
import { odata, type TableClient } from '@azure/data-tables';
import { mapLimit } from '../evidence/concurrency.js';
import { fromEntity } from '../evidence/entity.js';
import {
  chainFromId,
  HEAD_ROW,
  parseChainId,
  REGISTRY_PARTITION,
  recordIdOf,
  sequenceOfRow,
} from '../evidence/layout.js';
import type { ChainProblem, ProblemKind, VerifyResult } from '../evidence/types.js';
import { verifyChainRows } from '../evidence/verify.js';
import { toError } from '../util/errors.js';
import type { Digest, DigestChain } from './digest.js';
import type { DigestStore } from './digest-store.js';
import { verifySignature } from './signer.js';

export type FindingKind = ProblemKind;

export interface Finding {
  kind: FindingKind;
  chainId?: string;
  sequence?: number;
  recordId?: string;
  /** digest blob name or sequence */
  digest?: string;
  exceptionId?: string;
  detail: string;
}

export interface AnchoredVerifyResult {
  status: 'intact' | 'tampered';
  period: { from: string | null; to: string | null };
  digests: number;
  chains: number;
  records: number;
  anchoredRecords: number;
  notYetAnchored: Array<{ chainId: string; fromSequence: number; toSequence: number }>;
  /** each chain's latest anchored head (the monthly report prints these) */
  anchoredHeads: Array<DigestChain & { digestSequence: number }>;
  findings: Finding[];
}

export interface AnchoredVerifyOptions {
  table: TableClient;
  digests: DigestStore;
  /** the signing key's public key (from Key Vault, or the auditor's pinned copy) */
  trustedPublicKeyPem: string;
  from?: Date | null;
  to?: Date | null;
  now: Date;
  /** a record older than this and not anchored is overdue (default: 2 digest intervals + 2 min) */
  overdueMs: number;
  /** only these chains (restore checks one record's chain) */
  chainIds?: readonly string[];
}

interface Anchor extends DigestChain {
  digestSequence: number;
}

/** Whether the chain's month (plain chain or sub-chain alike) overlaps [from, to]. */
function monthsOverlap(chainId: string, from: Date | null, to: Date | null): boolean {
  const month = parseChainId(chainId)?.month;
  if (!month) return false;
  const start = Date.parse(`${month}-01T00:00:00Z`);
  const end = new Date(start);
  end.setUTCMonth(end.getUTCMonth() + 1);
  return (!from || end.getTime() > from.getTime()) && (!to || start <= to.getTime());
}

/** Reads and checks the digest chain; returns the valid digests in order. */
async function checkDigests(options: AnchoredVerifyOptions, findings: Finding[]): Promise<Digest[]> {
  const from = options.from ?? null;
  const listing = (await options.digests.list()).sort((a, b) => (a.sequence ?? 0) - (b.sequence ?? 0));
  for (const item of listing)
    if (item.sequence === null)
      findings.push({
        kind: 'digest-edited',
        digest: item.name,
        detail: 'a blob that is not a digest sits in the digest container',
      });
  const named = listing.filter((item) => item.sequence !== null);
  // a period needs the digests published since its start, and the one before (for the link)
  let start = 0;
  if (from) {
    const firstInPeriod = named.findIndex((item) => !(item.time < from.getTime()));
    start = firstInPeriod < 0 ? Math.max(0, named.length - 1) : Math.max(0, firstInPeriod - 1);
  }
  const selected = named.slice(start);
  const read = await mapLimit(selected, 8, async (item) => {
    try {
      return await options.digests.read(item.name);
    } catch (error) {
      findings.push({
        kind: 'digest-edited',
        digest: item.name,
        detail: `unreadable digest: ${toError(error).message}`,
      });
      return null;
    }
  });
  const valid: Digest[] = [];
  const wantedKey = options.trustedPublicKeyPem.trim();
  for (const [index, digest] of read.entries()) {
    const expected = selected[index]?.sequence;
    if (!digest) continue;
    const signed = verifySignature(
      Buffer.from(digest.blob.payload, 'utf8'),
      Buffer.from(digest.blob.signature, 'base64'),
      wantedKey,
    );
    if (!signed) {
      const otherKey = digest.blob.publicKeyPem.trim() !== wantedKey;
      findings.push({
        kind: 'digest-edited',
        digest: digest.name,
        detail: otherKey
          ? 'signature does not verify with the trusted signing key (the digest names another key)'
          : 'signature does not verify: the digest was edited after signing',
      });
      continue;
    }
    if (digest.body.sequence !== expected) {
      findings.push({
        kind: 'digest-edited',
        digest: digest.name,
        detail: `holds sequence ${digest.body.sequence}, its name says ${expected}`,
      });
      continue;
    }
    valid.push(digest);
  }
  // sequence gaps and links
  let expectedNext = from ? (valid[0]?.body.sequence ?? 1) : 1;
  let previous: Digest | null = null;
  for (const digest of valid) {
    for (let missing = expectedNext; missing < digest.body.sequence; missing++) {
      // a gap made by an edited (invalid) digest is already reported as edited
      if (!selected.some((item) => item.sequence === missing))
        findings.push({
          kind: 'digest-missing',
          digest: String(missing),
          detail: `digest #${missing} is missing (deleted)`,
        });
    }
    const link = digest.body.previous;
    if (previous && previous.body.sequence === digest.body.sequence - 1) {
      if (!link || link.hash !== previous.hash || link.signature !== previous.blob.signature)
        findings.push({
          kind: 'digest-edited',
          digest: previous.name,
          detail: `digest #${digest.body.sequence} links to another digest #${previous.body.sequence} than the one stored`,
        });
    } else if (!previous && !from && digest.body.sequence === 1 && link !== null) {
      findings.push({
        kind: 'digest-edited',
        digest: digest.name,
        detail: 'the first digest names a predecessor',
      });
    }
    previous = digest;
    expectedNext = digest.body.sequence + 1;
  }
  return valid;
}

export async function verifyAgainstAnchors(options: AnchoredVerifyOptions): Promise<AnchoredVerifyResult> {
  const findings: Finding[] = [];
  const from = options.from ?? null;
  const to = options.to ?? null;
  const digests = await checkDigests(options, findings);

  const anchors = new Map<string, Anchor[]>();
  for (const digest of digests)
    for (const chain of digest.body.chains) {
      const list = anchors.get(chain.chainId) ?? [];
      list.push({ ...chain, digestSequence: digest.body.sequence });
      anchors.set(chain.chainId, list);
    }

  const chainIds = new Set([...anchors.keys(), ...(options.chainIds ?? [])]);
  if (!options.chainIds)
    for await (const row of options.table.listEntities<{ chainId: string }>({
      queryOptions: { filter: odata`PartitionKey eq ${REGISTRY_PARTITION}`, select: ['chainId'] },
    }))
      chainIds.add(String(row.chainId));
  const only = options.chainIds ? new Set(options.chainIds) : null;
  const inPeriod = [...chainIds]
    .filter((id) => chainFromId(id) && monthsOverlap(id, from, to) && (!only || only.has(id)))
    .sort();

  const result: AnchoredVerifyResult = {
    status: 'intact',
    period: { from: from?.toISOString() ?? null, to: to?.toISOString() ?? null },
    digests: digests.length,
    chains: 0,
    records: 0,
    anchoredRecords: 0,
    notYetAnchored: [],
    anchoredHeads: [],
    findings,
  };
  const overdueBefore = options.now.getTime() - options.overdueMs;
  const perChain = await mapLimit(inPeriod, 4, (chainId) =>
    checkChain(options.table, chainId, anchors.get(chainId) ?? [], overdueBefore),
  );
  for (const chain of perChain) {
    if (chain.present) result.chains++;
    result.records += chain.records;
    result.anchoredRecords += chain.anchored;
    if (chain.unanchored) result.notYetAnchored.push(chain.unanchored);
    if (chain.latest) result.anchoredHeads.push(chain.latest);
    findings.push(...chain.findings);
  }
  result.status = findings.length === 0 ? 'intact' : 'tampered';
  return result;
}

interface ChainCheck {
  present: boolean;
  records: number;
  anchored: number;
  unanchored: { chainId: string; fromSequence: number; toSequence: number } | null;
  latest: Anchor | null;
  findings: Finding[];
}

async function checkChain(
  table: TableClient,
  chainId: string,
  anchors: Anchor[],
  overdueBefore: number,
): Promise<ChainCheck> {
  const chain = chainFromId(chainId);
  const findings: Finding[] = [];
  const latest = anchors.at(-1) ?? null;
  const entities: Array<Record<string, unknown>> = [];
  if (chain)
    for await (const entity of table.listEntities({
      queryOptions: { filter: odata`PartitionKey eq ${chain.partitionKey}` },
    }))
      entities.push(entity);
  const records = new Map<number, { hash: string; time: string }>();
  let head: Record<string, unknown> | null = null;
  for (const entity of entities) {
    const rowKey = String(entity.rowKey ?? '');
    if (rowKey === HEAD_ROW) head = entity;
    const sequence = sequenceOfRow(rowKey);
    if (sequence !== null) {
      const record = fromEntity(entity);
      records.set(sequence, { hash: String(record.hash), time: String(record.time) });
    }
  }
  if (records.size === 0 && !head) {
    if (latest)
      findings.push({
        kind: 'chain-deleted',
        chainId,
        detail: `the chain is gone from the table; digest #${latest.digestSequence} anchored ${latest.sequence} record(s) with head ${latest.headHash.slice(0, 16)}…`,
      });
    return { present: false, records: 0, anchored: 0, unanchored: null, latest, findings };
  }
  for (const problem of verifyChainRows({ chainId, entities }).problems)
    findings.push({
      kind: problem.kind,
      chainId,
      sequence: problem.sequence,
      ...(problem.recordId ? { recordId: problem.recordId } : {}),
      detail: problem.detail,
    });

  const last = Math.max(0, ...records.keys(), typeof head?.sequence === 'number' ? head.sequence : 0);
  if (latest && last < latest.sequence) {
    const headSequence = typeof head?.sequence === 'number' ? head.sequence : last;
    const headHash = String(head?.hash ?? records.get(last)?.hash ?? '');
    const earlier = anchors.find(
      (anchor) => anchor.sequence === headSequence && anchor.headHash === headHash,
    );
    findings.push(
      earlier
        ? {
            kind: 'rolled-back',
            chainId,
            sequence: latest.sequence,
            detail: `the chain is back in the state digest #${earlier.digestSequence} anchored (${headSequence} records); digest #${latest.digestSequence} later anchored ${latest.sequence}: records ${headSequence + 1}..${latest.sequence} are gone`,
          }
        : {
            kind: 'truncated',
            chainId,
            sequence: last + 1,
            recordId: recordIdOf(chainId, last + 1),
            detail: `the chain ends at #${last}, but digest #${latest.digestSequence} anchored ${latest.sequence} records: records ${last + 1}..${latest.sequence} were removed`,
          },
    );
  }
  let matched = 0;
  for (const anchor of anchors) {
    const record = records.get(anchor.sequence);
    if (!record) continue; // missing rows: reported above (deleted / truncated)
    if (record.hash !== anchor.headHash) {
      findings.push({
        kind: 'rewritten',
        chainId,
        sequence: anchor.sequence,
        recordId: recordIdOf(chainId, anchor.sequence),
        detail: `record #${anchor.sequence} no longer has the hash digest #${anchor.digestSequence} anchored: records ${matched + 1}..${anchor.sequence} were edited and re-chained`,
      });
      break;
    }
    matched = anchor.sequence;
  }
  const anchoredUpTo = Math.min(last, latest?.sequence ?? 0);
  let unanchored: ChainCheck['unanchored'] = null;
  if (last > anchoredUpTo) {
    unanchored = { chainId, fromSequence: anchoredUpTo + 1, toSequence: last };
    const first = records.get(anchoredUpTo + 1);
    if (first && Date.parse(first.time) < overdueBefore)
      findings.push({
        kind: 'digest-missing',
        chainId,
        sequence: anchoredUpTo + 1,
        recordId: recordIdOf(chainId, anchoredUpTo + 1),
        detail: `record #${anchoredUpTo + 1} (${first.time}) should have been anchored by now but no digest covers it: the latest digest(s) were deleted, or its rows were hidden from the publisher`,
      });
  }
  return { present: true, records: records.size, anchored: anchoredUpTo, unanchored, latest, findings };
}

/** The result in the table-only verify's shape (sweep report, API): findings become problems. */
export function toVerifyResult(result: AnchoredVerifyResult): VerifyResult {
  const problems: ChainProblem[] = result.findings.map((finding) => ({
    kind: finding.kind,
    chainId: finding.chainId ?? '',
    sequence: finding.sequence ?? 0,
    ...(finding.recordId ? { recordId: finding.recordId } : {}),
    detail: [
      finding.digest ? `digest ${finding.digest}` : null,
      finding.exceptionId ? `exception ${finding.exceptionId}` : null,
      finding.detail,
    ]
      .filter(Boolean)
      .join(': '),
  }));
  return {
    ok: problems.length === 0,
    chains: result.chains,
    records: result.records,
    problems,
    digests: result.digests,
    anchoredHeads: result.anchoredHeads.map((head) => ({
      chainId: head.chainId,
      sequence: head.sequence,
      headHash: head.headHash,
      digestSequence: head.digestSequence,
      lastTime: head.lastTime,
    })),
    notYetAnchored: result.notYetAnchored,
  };
}
