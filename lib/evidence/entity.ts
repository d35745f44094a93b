/**
 * EvidenceRecord <-> table entity. The stored form is what gets hashed, so `normalizeInput`
 * produces exactly the values that a later read returns: strings made well-formed and bounded,
 * nulls for absent optionals, before/after round-tripped through JSON (and replaced by a marker
 * object when too large for one 64 KiB property).
 */
import type { TableEntity } from '@azure/data-tables';
import { sha256Hex } from './hash.js';
import type { EvidenceInput, EvidenceRecord, Outcome, Trigger } from './types.js';

/** Per text field (UTF-16 chars); a property may hold 64 KiB = 32 Ki chars. */
export const MAX_TEXT = 8_192;
/** Per before/after JSON text; two of these plus text fields stay far below the 1 MiB entity limit. */
export const MAX_STATE_JSON = 30_000;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const LINE_SEPARATORS = /[\u2028\u2029]/g;

/**
 * Text as stored: lone surrogates become U+FFFD (they cannot survive UTF-8; String.prototype.
 * toWellFormed is ES2024, our lib is ES2023) and U+2028/U+2029 become '\n' (Azurite's batch parser
 * rejects a transaction containing them raw). JSON fields keep both losslessly (see jsonText).
 */
export function wellFormed(value: string): string {
  return value.replace(LONE_SURROGATE, '\ufffd').replace(LINE_SEPARATORS, '\n');
}

/** JSON text with U+2028/U+2029 written as escapes: the same JSON value, safe in a batch body. */
export function jsonText(value: unknown): string {
  return (JSON.stringify(value) ?? 'null').replace(
    LINE_SEPARATORS,
    (char) => `\\u${char.charCodeAt(0).toString(16)}`,
  );
}

export function boundedText(value: string, max = MAX_TEXT): string {
  const clean = wellFormed(value);
  if (clean.length <= max) return clean;
  return `${wellFormed(clean.slice(0, max))}…[truncated ${clean.length - max} chars]`;
}

function text(value: unknown): string {
  return boundedText(typeof value === 'string' ? value : String(value ?? ''));
}

function optionalText(value: unknown): string | null {
  return value === null || value === undefined ? null : text(value);
}

/** JSON text for before/after: exact when small, else a marker carrying the full text's hash. */
export function stateJson(value: unknown): string {
  const json = jsonText(value);
  if (json.length <= MAX_STATE_JSON) return json;
  let previewLength = 8_000;
  for (;;) {
    const marker = jsonText({
      truncated: true,
      originalLength: json.length,
      sha256: sha256Hex(json),
      preview: wellFormed(json.slice(0, previewLength)),
    });
    if (marker.length <= MAX_STATE_JSON) return marker;
    previewLength = Math.floor(previewLength / 2);
  }
}

/** The fields of a record that come from the input, in stored form. */
export type StoredInput = Omit<EvidenceInput, 'sweepId' | 'ruleName'> & {
  sweepId: string | null;
  ruleName: string | null;
};

/**
 * Fields added after records already existed: stored (and hashed) only when set, so the hash of
 * every earlier record, which never had them, stays what it was.
 */
const LATER_FIELDS = ['actorObjectId', 'actorHint', 'eventTime'] as const;

export function normalizeInput(input: EvidenceInput): StoredInput {
  return {
    idempotencyKey: text(input.idempotencyKey),
    trigger: text(input.trigger) as Trigger,
    eventId: optionalText(input.eventId),
    correlationId: optionalText(input.correlationId),
    subscriptionId: text(input.subscriptionId),
    resourceId: text(input.resourceId),
    resourceType: text(input.resourceType),
    controlId: optionalText(input.controlId) as EvidenceInput['controlId'],
    criteria: Array.isArray(input.criteria) ? input.criteria.map((item) => text(item)) : [],
    outcome: text(input.outcome) as Outcome,
    action: text(input.action),
    message: text(input.message),
    before: JSON.parse(stateJson(input.before)),
    after: JSON.parse(stateJson(input.after)),
    actor: optionalText(input.actor),
    exceptionId: optionalText(input.exceptionId),
    sweepId: optionalText(input.sweepId),
    ruleName: optionalText(input.ruleName),
    ...laterFields(input),
  };
}

function laterFields(input: Pick<EvidenceInput, (typeof LATER_FIELDS)[number]>): Partial<StoredInput> {
  const out: Partial<StoredInput> = {};
  for (const field of LATER_FIELDS) {
    const value = input[field];
    if (value !== null && value !== undefined) out[field] = text(value);
  }
  return out;
}

const TEXT_FIELDS = [
  'recordId',
  'time',
  'remediatorIdentity',
  'remediatorVersion',
  'chainId',
  'previousHash',
  'hash',
  'idempotencyKey',
  'trigger',
  'subscriptionId',
  'resourceId',
  'resourceType',
  'outcome',
  'action',
  'message',
] as const;
const OPTIONAL_FIELDS = [
  'eventId',
  'correlationId',
  'controlId',
  'actor',
  'exceptionId',
  'sweepId',
  'ruleName',
] as const;

export function toEntity(partitionKey: string, rowKey: string, record: EvidenceRecord): TableEntity {
  const entity: TableEntity = { partitionKey, rowKey, sequence: record.sequence };
  for (const field of TEXT_FIELDS) entity[field] = record[field];
  for (const field of [...OPTIONAL_FIELDS, ...LATER_FIELDS]) {
    const value = record[field];
    if (value !== null && value !== undefined) entity[field] = value; // Table Storage has no null
  }
  for (const field of LATER_FIELDS) {
    const value = record[field];
    if (value !== undefined) entity[field] = value;
  }
  entity.criteria = jsonText(record.criteria);
  entity.before = jsonText(record.before);
  entity.after = jsonText(record.after);
  return entity;
}

function parseJson(value: unknown): unknown {
  if (typeof value !== 'string') return null;
  try {
    return JSON.parse(value);
  } catch {
    return value; // an edited, unparsable value: keep it so the hash check reports the edit
  }
}

/** Reads what is stored, without repairing anything: verify hashes exactly this. */
export function fromEntity(entity: Record<string, unknown>): EvidenceRecord {
  const read = (field: string): string | null => {
    const value = entity[field];
    return value === undefined || value === null ? null : String(value);
  };
  const record: Record<string, unknown> = {};
  for (const field of TEXT_FIELDS) record[field] = read(field);
  for (const field of OPTIONAL_FIELDS) record[field] = read(field);
  for (const field of LATER_FIELDS) {
    const value = read(field);
    if (value !== null) record[field] = value;
  }
  record.sequence = typeof entity.sequence === 'number' ? entity.sequence : Number(entity.sequence);
  record.criteria = parseJson(entity.criteria);
  record.before = parseJson(entity.before);
  record.after = parseJson(entity.after);
  // Every field of EvidenceRecord is assigned above; a tampered row may hold other types, which verify reports.
  return record as unknown as EvidenceRecord;
}
