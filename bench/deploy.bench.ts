import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

/**
 * `npm run bench -- deploy`: what the deployment shape costs. Cold import of the production entry
 * from the sources (through tsx) and from the bundle, each in a fresh process with the same
 * stand-in for the Functions host's @azure/functions-core (so @azure/functions registers, not its
 * test mode, in both); the package zip's size and file count; `driftwarden --help` from the built
 * CLI and through tsx. Goal: bundled cold import ≤ 150 ms.
 */
export const name = 'deploy';

const RUNS = 5;
const GOAL_MS = 150;
const exec = promisify(execFile);
const repo = fileURLToPath(new URL('..', import.meta.url));
const hostStub = join(repo, 'test/support/functions-host-stub.mjs');

const round = (ms: number) => Math.round(ms);

function summary(samples: number[]): { min: number; median: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    min: round(sorted[0] ?? Number.NaN),
    median: round(sorted[Math.floor(sorted.length / 2)] ?? Number.NaN),
  };
}

/** One fresh process importing `entry`: ms for the import itself, ms for the whole process, functions registered. */
async function coldImport(entry: string, loader: string[], scratch: string, index: number) {
  const out = join(scratch, `registered-${index}.json`);
  // CPU time (user + system, whole process) next to wall time: on a shared, loaded machine it is
  // the steadier of the two.
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(entry).href)}); const wall = performance.now() - t; const { user, system } = process.cpuUsage(); process.stdout.write(JSON.stringify({ wall, cpu: (user + system) / 1000 }));`;
  const started = performance.now();
  const { stdout } = await exec(
    process.execPath,
    [...loader, '--import', pathToFileURL(hostStub).href, '--input-type=module', '-e', script],
    { cwd: repo, env: { ...process.env, DW_REGISTERED_OUT: out } },
  );
  const processMs = performance.now() - started;
  const registered = JSON.parse(await readFile(out, 'utf8')) as { name: string }[];
  const { wall, cpu } = JSON.parse(stdout) as { wall: number; cpu: number };
  return {
    importMs: wall,
    cpuMs: cpu,
    processMs,
    functions: registered.map((entry) => entry.name).join(','),
  };
}

async function coldImports(label: string, entry: string, loader: string[], scratch: string) {
  const imports: number[] = [];
  const cpus: number[] = [];
  const processes: number[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < RUNS; i++) {
    const sample = await coldImport(entry, loader, scratch, i);
    imports.push(sample.importMs);
    cpus.push(sample.cpuMs);
    processes.push(sample.processMs);
    seen.add(sample.functions);
  }
  const imported = summary(imports);
  const whole = summary(processes);
  const cpu = summary(cpus);
  const [functions = ''] = seen;
  console.log(
    `${label.padEnd(30)} import min ${imported.min} ms, median ${imported.median} ms; ` +
      `process CPU median ${cpu.median} ms; whole process min ${whole.min} ms, median ${whole.median} ms; ` +
      `${functions.split(',').length} functions registered`,
  );
  return { imported, functions: [...seen] };
}

async function timedRuns(args: string[]): Promise<{ min: number; median: number }> {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await exec(process.execPath, args, { cwd: repo });
    samples.push(performance.now() - started);
  }
  return summary(samples);
}

function zipEntryCount(archive: Buffer): number {
  const end = archive.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  return end < 0 ? Number.NaN : archive.readUInt16LE(end + 10);
}

export async function run(): Promise<void> {
  const started = performance.now();
  await exec(process.execPath, ['scripts/package.mjs'], { cwd: repo });
  console.log(`npm run package (build + zip)   ${round(performance.now() - started)} ms`);

  const archive = await readFile(join(repo, 'dist/driftwarden-functions.zip'));
  const bundle = await readFile(join(repo, 'dist/functions/index.js'));
  console.log(
    `package zip                    ${(archive.length / 1024).toFixed(0)} KiB, ${zipEntryCount(archive)} files ` +
      `(entry dist/functions/index.js ${(bundle.length / 1024).toFixed(0)} KiB unzipped; the rest loads on first use)`,
  );

  const scratch = await mkdtemp(join(tmpdir(), 'dw-bench-deploy-'));
  try {
    const sources = await coldImports(
      'cold import, sources (tsx)',
      join(repo, 'functions/index.ts'),
      ['--import', 'tsx'],
      scratch,
    );
    const bundled = await coldImports(
      'cold import, bundle',
      join(repo, 'dist/functions/index.js'),
      [],
      scratch,
    );
    if (sources.functions.length !== 1 || bundled.functions.join() !== sources.functions.join()) {
      console.log(
        `MISMATCH: sources registered ${sources.functions.join(' | ')}; bundle ${bundled.functions.join(' | ')}`,
      );
      process.exitCode = 1;
    }
    console.log(
      `bundled cold import median ${bundled.imported.median} ms: ${bundled.imported.median <= GOAL_MS ? 'within' : 'OVER'} the ${GOAL_MS} ms goal`,
    );
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }

  const built = await timedRuns(['bin/driftwarden.js', '--help']);
  const viaTsx = await timedRuns(['--import', 'tsx', 'bin/cli.ts', '--help']);
  console.log(
    `driftwarden --help, built      min ${built.min} ms, median ${built.median} ms (whole process)`,
  );
  console.log(
    `driftwarden --help, tsx        min ${viaTsx.min} ms, median ${viaTsx.median} ms (whole process)`,
  );
}
