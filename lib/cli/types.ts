import type { TokenCredential } from '@azure/core-auth';

/**
 * What a command gets instead of `process`: tests run commands in-process with fake streams and
 * environment; bin/driftwarden.js passes the real ones.
 */
export interface CliOutput {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface CliIo {
  stdout: CliOutput;
  stderr: CliOutput;
  stdin: AsyncIterable<Uint8Array | string> & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  /**
   * The Azure credential commands sign in with (default: DefaultAzureCredential from the process
   * environment). Tests pass the sandbox's stand-in credential for a named person.
   */
  credential?: TokenCredential;
}

export interface CliCommand {
  /** the word after `driftwarden` */
  name: string;
  /** one line for `driftwarden --help` */
  summary: string;
  /** full help for `driftwarden <name> --help` */
  usage: string;
  /** returns the exit code; throw CliError for a one-line failure message */
  run(args: string[], io: CliIo): Promise<number>;
}

/** Exit codes shared by all commands. */
export const EXIT = { ok: 0, findings: 1, usage: 2 } as const;

/** An expected failure: printed as one line (no stack trace), then the process exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
