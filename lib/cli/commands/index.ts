import type { CliCommand } from '../types.js';
import { auditCommand } from './audit.js';
import { evaluateCommand } from './evaluate.js';
import { exceptionsCommand } from './exceptions.js';
import { logCommand } from './log.js';
import { reportCommand } from './report.js';
import { restoreCommand } from './restore.js';
import { sweepCommand } from './sweep.js';
import { verifyCommand } from './verify.js';

/**
 * The command registry. To add a command: create lib/cli/commands/<name>.ts exporting a
 * CliCommand ({ name, summary, usage, run(args, io) }) and add ONE line to this list.
 * `driftwarden --help` lists commands in this order. Developer-only commands (`sandbox`) live in
 * lib/dev/cli-commands.ts and are added by the CLI entry (bin/cli.ts), never by production code.
 */
export const COMMANDS: readonly CliCommand[] = [
  evaluateCommand,
  sweepCommand,
  logCommand,
  verifyCommand,
  exceptionsCommand,
  restoreCommand,
  reportCommand,
  auditCommand,
];
