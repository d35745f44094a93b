import { type ParseArgsConfig, parseArgs } from 'node:util';
import { CliError } from './types.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * node:util parseArgs, strict, with its errors turned into one-line usage errors that point at
 * the command's --help.
 */
export function parseCommandArgs<T extends Options>(command: string, args: string[], options: T) {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new CliError(`${message}. See: driftwarden ${command} --help`);
  }
}

/** `--format table|json` of the on-call commands: true for json; any other value is a usage error. */
export function jsonFormat(format: string | undefined): boolean {
  if (format !== 'table' && format !== 'json') throw new CliError('--format must be table or json');
  return format === 'json';
}
