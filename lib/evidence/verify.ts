/**
 * Pure chain verification over the rows of one chain partition (no I/O), so the store, the CLI
 * and tests share one definition of "edited", "deleted" and "inserted".
 */
import { fromEntity } from './entity.js';
import { GENESIS_HASH, recordHash } from './hash.js';
import { HEAD_ROW, recordIdOf, sequenceOfRow } from './layout.js';
import type { ChainProblem } from './types.js';

export interface ChainRows {
  chainId: string;
  /** every entity of the chain partition */
  entities: Array<Record<string, unknown> & { rowKey?: string }>;
  /** sequences that the log index says exist (cross-check against truncation of the tail) */
  indexedSequences?: Iterable<number>;
}

export interface ChainReport {
  chainId: string;
  records: number;
  problems: ChainProblem[];
}

export function verifyChainRows({ chainId, entities, indexedSequences = [] }: ChainRows): ChainReport {
  const problems: ChainProblem[] = [];
  const problem = (kind: ChainProblem['kind'], sequence: number, detail: string, withId = true) =>
    problems.push({
      kind,
      chainId,
      sequence,
      ...(withId ? { recordId: recordIdOf(chainId, sequence) } : {}),
      detail,
    });

  let head: Record<string, unknown> | null = null;
  const rows = new Map<number, Record<string, unknown>>();
  for (const entity of entities) {
    const rowKey = String(entity.rowKey ?? '');
    if (rowKey === HEAD_ROW) head = entity;
    else if (rowKey.startsWith('i~'))
      continue; // idempotency index: not part of the chain
    else {
      const sequence = sequenceOfRow(rowKey);
      if (sequence === null)
        problem('inserted', 0, `unexpected row ${JSON.stringify(rowKey)} in the chain partition`, false);
      else rows.set(sequence, entity);
    }
  }

  const headSequence = head && typeof head.sequence === 'number' ? head.sequence : null;
  let lastSequence = headSequence ?? 0;
  for (const sequence of [...rows.keys(), ...indexedSequences])
    lastSequence = Math.max(lastSequence, sequence);
  if (head === null && rows.size > 0) problem('deleted', 0, 'chain head is missing', false);

  let previousHash = GENESIS_HASH;
  let previousPresent = true;
  for (let sequence = 1; sequence <= lastSequence; sequence++) {
    const entity = rows.get(sequence);
    if (!entity) {
      problem('deleted', sequence, `record ${sequence} is missing`);
      previousPresent = false;
      continue;
    }
    const record = fromEntity(entity);
    if (headSequence !== null && sequence > headSequence) {
      problem('inserted', sequence, `record ${sequence} is beyond the chain head (${headSequence})`);
    } else if (
      record.sequence !== sequence ||
      record.chainId !== chainId ||
      record.recordId !== recordIdOf(chainId, sequence)
    ) {
      problem(
        'inserted',
        sequence,
        `row ${sequence} carries sequence ${record.sequence} of chain ${JSON.stringify(record.chainId)}`,
      );
    } else if (recordHash(record) !== record.hash) {
      problem('edited', sequence, 'stored fields do not match the record hash');
    } else if (previousPresent && record.previousHash !== previousHash) {
      problem('broken-link', sequence, 'previousHash does not match the preceding record');
    }
    previousHash = String(record.hash);
    previousPresent = true;
  }
  if (head !== null && headSequence !== null && headSequence > 0 && rows.has(headSequence)) {
    const last = fromEntity(rows.get(headSequence) as Record<string, unknown>);
    if (head.hash !== last.hash)
      problem('edited', headSequence, 'chain head hash does not match the last record');
  }
  return { chainId, records: rows.size, problems };
}
