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
] as const;

/**
 * Validates an exceptions document for offline evaluation: an array of exceptions,
 * `{ "value": [...] }` (API list shape), `{ "exceptions": [...] }` or `{ "items": [...] }`
 * (`driftwarden exceptions list --format json`).
 */
export function parseExceptionList(json: unknown, what: string): ControlException[] {
  const items = Array.isArray(json)
    ? json
    : isRecord(json) && Array.isArray(json.value)
      ? json.value
      : isRecord(json) && Array.isArray(json.exceptions)
        ? json.exceptions
        : isRecord(json) && Array.isArray(json.items)
          ? json.items // what `driftwarden exceptions list --format json` prints
          : null;
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
    for (const key of ['ruleName', 'revokedOn', 'revokedBy'] as const) {
      const value = text(key);
      if (value !== undefined) exception[key] = value;
    }
    return exception;
  });
}
