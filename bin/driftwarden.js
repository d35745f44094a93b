#!/usr/bin/env node
// Entry point for the `driftwarden` command: runs the built CLI (dist/cli.js, from bin/cli.ts).
//
// It builds only when dist/cli.js is missing (a clone whose install skipped scripts), and does
// not check whether the sources are newer: that would stat the whole tree on every `--help`.
// dist/ is rebuilt by `npm install` (prepare), `npm run build`, and the test run (vitest global
// setup builds once first, so spawned-CLI tests exercise the current sources). A developer trying
// an edited command by hand runs `npm run build` (under a second) first.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  const builder = await import('../scripts/build.mjs');
  if (await builder.esbuildMissing()) {
    console.error(
      'driftwarden: dist/cli.js is not built and esbuild is missing; run `npm install` (with dev dependencies), then `npm run build`',
    );
    process.exit(2);
  }
  await builder.build({ log: (line) => console.error(`driftwarden: first run, ${line}`) });
}
await import(cli.href);
