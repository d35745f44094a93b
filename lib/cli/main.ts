import { ConfigError } from '../config.js';
import { packageVersion } from '../util/package-version.js';
import { COMMANDS } from './commands/index.js';
import { type CliCommand, CliError, type CliIo, EXIT } from './types.js';

const CONNECTION_CODES = /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH)$/;

/**
 * One line for an unexpected failure: a storage XML error body becomes `Code: message`, a refused
 * connection names the settings to check, and anything shaped like a key, SAS signature or bearer
 * token is masked (error text from SDKs is not ours to trust).
 */
export function describeUnexpected(error: unknown): string {
  let message = error instanceof Error ? error.message : String(error);
  const code = /<Code>([^<]*)<\/Code>/.exec(message)?.[1];
  const detail = /<Message>([^<\n]*)/.exec(message)?.[1];
  if (code) message = `${code}${detail ? `: ${detail.trim()}` : ''}`;
  const errno = (error as { code?: unknown } | null)?.code;
  if (typeof errno === 'string' && CONNECTION_CODES.test(errno)) {
    message = `cannot connect (${message}); check DW_STORAGE / DW_ARM_ENDPOINT, or start local mode with npm start`;
  }
  return message
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\b(AccountKey|SharedAccessSignature|sig|IDENTITY_HEADER)=[^;&\s"']+/gi, '$1=***')
    .replace(/\bBearer\s+[\w.~+/=-]+/g, 'Bearer ***');
}

export function helpText(commands: readonly CliCommand[] = COMMANDS): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    'driftwarden: SOC 2 drift remediator for Azure storage accounts and NSGs.',
    '',
    'Usage: driftwarden <command> [options]',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    "Run `driftwarden <command> --help` for a command's options.",
    '',
  ].join('\n');
}

/** Runs one CLI invocation; returns the exit code. Never throws for expected failures. */
export async function main(
  argv: readonly string[],
  io: CliIo,
  commands: readonly CliCommand[] = COMMANDS,
): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.stderr.write(helpText(commands));
    return EXIT.usage;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? commands.find((command) => command.name === rest[0]) : undefined;
    io.stdout.write(topic ? `${topic.usage}\n` : helpText(commands));
    return EXIT.ok;
  }
  if (first === '--version' || first === '-v') {
    io.stdout.write(`${packageVersion()}\n`);
    return EXIT.ok;
  }
  const command = commands.find((candidate) => candidate.name === first);
  if (!command) {
    const shown = first.length > 40 ? `${first.slice(0, 40)}...` : first;
    io.stderr.write(
      `driftwarden: unknown command ${JSON.stringify(shown)}. Run driftwarden --help for the list.\n`,
    );
    return EXIT.usage;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof CliError || error instanceof ConfigError) {
      const message = error.message.replace(/\s*\n\s*/g, ' ');
      io.stderr.write(`driftwarden ${command.name}: ${message}\n`);
      return error instanceof CliError ? error.exitCode : EXIT.usage;
    }
    // Unexpected: still one line unless asked for the stack.
    io.stderr.write(`driftwarden ${command.name}: unexpected error: ${describeUnexpected(error)}\n`);
    if (io.env.DRIFTWARDEN_DEBUG && error instanceof Error && error.stack)
      io.stderr.write(`${error.stack}\n`);
    return EXIT.usage;
  }
}
