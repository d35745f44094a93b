#!/usr/bin/env node
// Entry point for the `driftwarden` command. Plain JavaScript so it runs without a build step:
// tsx's ESM API loads the TypeScript sources on demand.
import { tsImport } from 'tsx/esm/api';

const { main } = await tsImport('../lib/cli/main.ts', import.meta.url);
const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
// Let stdout drain (large JSON into a pipe) before exiting with the command's status.
process.exitCode = code;
