import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BicepToolError, BicepUnavailableError, findBicep, formatDiagnostics, REPO_ROOT } from './cli.js';
import { MAIN_BICEP, MAIN_PARAMS } from './infra.js';

/**
 * `npm run infra:check`: builds infra/main.bicep and infra/main.bicepparam with the Bicep CLI the
 * tests use (restoring it if needed), lints both, writes the ARM JSON to dist/infra/, and exits
 * non-zero on any diagnostic — error, warning or info — as the tests do.
 */
async function main(): Promise<number> {
  const cli = await findBicep();
  console.log(`Bicep CLI ${cli.version} (${cli.source}: ${cli.command})`);
  const [build, buildParams, lintMain, lintParams] = await Promise.all([
    cli.build(MAIN_BICEP),
    cli.buildParams(MAIN_PARAMS),
    cli.lint(MAIN_BICEP),
    cli.lint(MAIN_PARAMS),
  ]);
  const out = join(REPO_ROOT, 'dist/infra');
  mkdirSync(out, { recursive: true });
  if (build.stdout.trim()) writeFileSync(join(out, 'main.json'), build.stdout);
  if (buildParams.stdout.trim()) writeFileSync(join(out, 'main.parameters.json'), buildParams.stdout);
  // lint repeats the build's diagnostics; report each one once
  const all = [
    ...build.diagnostics,
    ...buildParams.diagnostics,
    ...lintMain.diagnostics,
    ...lintParams.diagnostics,
  ];
  const unique = [...new Map(all.map((d) => [`${d.file}:${d.line}:${d.column}:${d.code}`, d])).values()];
  if (unique.length > 0) {
    console.error(formatDiagnostics(unique));
    console.error(`${unique.length} diagnostic(s): infra/ must build and lint clean`);
    return 1;
  }
  console.log('infra/ builds and lints clean: dist/infra/main.json, dist/infra/main.parameters.json');
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const known = error instanceof BicepUnavailableError || error instanceof BicepToolError;
    console.error(known ? error.message : error);
    process.exitCode = 2;
  },
);
