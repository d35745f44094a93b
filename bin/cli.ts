// The `driftwarden` command's entry, bundled to dist/cli.js (scripts/build.ts) and run by
// bin/driftwarden.js. It adds the developer commands (lib/dev) to the product's own.
import '../lib/host/small-heap.js'; // first: V8 heap policy (a CLI sweep is the same sweep)
import { main } from '../lib/cli/main.js';
import { CLI_COMMANDS } from '../lib/dev/cli-commands.js';

const code = await main(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env },
  CLI_COMMANDS,
);
// Let stdout drain (large JSON into a pipe) before exiting with the command's status.
process.exitCode = code;
