import { type ParseArgsConfig, parseArgs } from 'node:util';
import { CliError } from './types.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Levenshtein distance, for "did you mean" on a mistyped option (short strings only). */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? Math.max(a.length, b.length);
}

/** The closest known option to a mistyped one, if it is close enough to be a typo. */
export function suggestOption(given: string, known: readonly string[]): string | undefined {
  const name = given.replace(/^-+/, '').split('=')[0] ?? '';
  let best: { option: string; score: number } | undefined;
  for (const option of known) {
    const score = distance(name, option);
    if (!best || score < best.score) best = { option, score };
  }
  return best && best.score <= Math.max(1, Math.floor(name.length / 3)) ? `--${best.option}` : undefined;
}

/**
 * Our own one-line wording for node:util's parse errors: its messages quote the argument with
 * advice about `--` that reads as a broken quote in a one-line error.
 */
function describeParseError(error: unknown, args: readonly string[], known: readonly string[]): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /'(-{1,2}[^'\s]*)'/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = quoted ?? args.find((arg) => arg.startsWith('-') && arg !== '-') ?? '?';
    const hint = suggestOption(option, known);
    return `unknown option ${option}${hint ? ` (did you mean ${hint}?)` : ''}`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const option = /--([\w-]+)/.exec(message)?.[1];
    return option
      ? message.includes('does not take')
        ? `--${option} does not take a value`
        : `--${option} needs a value`
      : 'an option has a missing or unexpected value';
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return 'unexpected argument';
  return (message.split('\n')[0] ?? message).replace(/'/g, '');
}

/**
 * Every option a command accepts must appear in its --help as `--name` (a flag missing from the
 * help is a flag nobody finds); checked on every run, so `<command> --help` in the tests proves it.
 */
export function undocumentedOptions(usage: string, options: Options): string[] {
  return Object.keys(options).filter((name) => !new RegExp(`--${name}\\b`).test(usage));
}

/**
 * node:util parseArgs, strict, with its errors turned into one-line usage errors that point at
 * the command's --help. With `usage`, also asserts that every option is documented there.
 */
export function parseCommandArgs<T extends Options>(
  command: string,
  args: string[],
  options: T,
  usage?: string,
) {
  if (usage !== undefined) {
    const missing = undocumentedOptions(usage, options);
    if (missing.length)
      throw new Error(`driftwarden ${command}: --help does not document --${missing.join(', --')}`);
  }
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    const known = [...Object.keys(options), 'help'];
    throw new CliError(`${describeParseError(error, args, known)}. See: driftwarden ${command} --help`);
  }
}

/** `--format table|json` of the on-call commands: true for json; any other value is a usage error. */
export function jsonFormat(format: string | undefined): boolean {
  if (format !== 'table' && format !== 'json') throw new CliError('--format must be table or json');
  return format === 'json';
}

/** One error naming every missing required option at once (not one per attempt). */
export function requireOptions(values: Record<string, unknown>, names: readonly string[]): void {
  const missing = names.filter((name) => {
    const value = values[name];
    return typeof value !== 'string' || !value.trim();
  });
  if (!missing.length) return;
  const flags = missing.map((name) => `--${name}`);
  const list = flags.length === 1 ? flags[0] : `${flags.slice(0, -1).join(', ')} and ${flags.at(-1)}`;
  throw new CliError(`${list} ${flags.length === 1 ? 'is' : 'are'} required`);
}
