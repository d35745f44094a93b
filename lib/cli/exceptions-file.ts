import { isControlId } from '../controls/catalog.js';
import type { ControlException } from '../controls/types.js';
import { isRecord } from '../resources/normalize.js';
import { CliError } from './types.js';

const REQUIRED = ['id', 'controlId', 'scope', 'expiresOn'] as const;
const OPTIONAL = [
  'ruleName',
  'justification',
  'ticket',
  'approvedBy',
  'approvedOn',
  'revokedOn',
  'revokedBy',
  'revokedReason',
] as const;

/**
 * Validates an exceptions document for offline evaluation: an array of exceptions,
 * `{ "items": [...] }` (GET /api/exceptions and `driftwarden exceptions list --format json`),
 * `{ "value": [...] }`, `{ "exceptions": [...] }`, or one exception object (`exceptions add
 * --format json`).
 */
export function parseExceptionList(json: unknown, what: string): ControlException[] {
  const list = (key: string): unknown[] | null =>
    isRecord(json) && Array.isArray(json[key]) ? (json[key] as unknown[]) : null;
  const single = isRecord(json) && typeof json.id === 'string' && typeof json.controlId === 'string';
  const items = Array.isArray(json)
    ? json
    : (list('items') ?? list('value') ?? list('exceptions') ?? (single ? [json] : null));
  if (items === null) throw new CliError(`${what}: expected an array of exceptions`);
  return items.map((item: unknown, index: number) => {
    const where = `${what}: exception ${index}`;
    if (!isRecord(item)) throw new CliError(`${where} is not an object`);
    for (const key of [...REQUIRED, ...OPTIONAL]) {
      const value = Object.hasOwn(item, key) ? item[key] : undefined;
      if (value !== undefined && value !== null && typeof value !== 'string')
        throw new CliError(`${where}: ${key} must be a string`);
    }
    for (const key of REQUIRED) {
      if (typeof item[key] !== 'string' || (item[key] as string).trim() === '')
        throw new CliError(`${where}: ${key} is missing`);
    }
    if (!isControlId(item.controlId))
      throw new CliError(`${where}: ${JSON.stringify(item.controlId)} is not a control id`);
    if (Number.isNaN(Date.parse(item.expiresOn as string)))
      throw new CliError(`${where}: expiresOn is not a date`);
    const text = (key: string): string | undefined =>
      typeof item[key] === 'string' ? (item[key] as string) : undefined;
    const exception: ControlException = {
      id: text('id') as string,
      controlId: item.controlId,
      scope: text('scope') as string,
      justification: text('justification') ?? '',
      ticket: text('ticket') ?? '',
      approvedBy: text('approvedBy') ?? '',
      approvedOn: text('approvedOn') ?? '',
      expiresOn: text('expiresOn') as string,
    };
    for (const key of ['ruleName', 'revokedOn', 'revokedBy', 'revokedReason'] as const) {
      const value = text(key);
      if (value !== undefined) exception[key] = value;
    }
    return exception;
  });
}
