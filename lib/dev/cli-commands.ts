import { COMMANDS } from '../cli/commands/index.js';
import type { CliCommand } from '../cli/types.js';
import { sandboxCommand } from './local/sandbox-command.js';

/**
 * The commands `driftwarden` offers from this repository: the product's commands plus the
 * developer ones that drive local mode (`sandbox`), listed after `evaluate` as before.
 */
export const CLI_COMMANDS: readonly CliCommand[] = [
  ...COMMANDS.slice(0, 1),
  sandboxCommand,
  ...COMMANDS.slice(1),
];
