import type { CliCommand } from '../types.js';
import { evaluateCommand } from './evaluate.js';
import { exceptionsCommand } from './exceptions.js';
import { logCommand } from './log.js';
import { restoreCommand } from './restore.js';
import { sandboxCommand } from './sandbox.js';
import { sweepCommand } from './sweep.js';
import { verifyCommand } from './verify.js';

/**
 * The command registry. To add a command: create lib/cli/commands/<name>.ts exporting a
 * CliCommand ({ name, summary, usage, run(args, io) }) and add ONE line to this list.
 * `driftwarden --help` lists commands in this order.
 */
export const COMMANDS: readonly CliCommand[] = [
  evaluateCommand,
  sandboxCommand,
  sweepCommand,
  logCommand,
  verifyCommand,
  exceptionsCommand,
  restoreCommand,
  // sweep, log, verify, exceptions, restore, sandbox: one import + one line each
];
