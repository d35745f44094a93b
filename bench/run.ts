import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * `npm run bench [-- name...]`: runs every bench/*.bench.ts module in turn, or only those named
 * (by exported `name` or file stem). Each module exports `name` and `run(): Promise<void>`, which
 * prints its own figures. Sequential on purpose: parallel benches would measure each other.
 */
interface BenchModule {
  name: string;
  run(): Promise<void>;
}

const dir = fileURLToPath(new URL('.', import.meta.url));
const wanted = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
const files = readdirSync(dir)
  .filter((file) => file.endsWith('.bench.ts'))
  .sort();

let ran = 0;
for (const file of files) {
  const stem = file.replace(/\.bench\.ts$/, '');
  if (wanted.length > 0 && !wanted.includes(stem)) {
    // Cheap pre-filter by file stem; modules are only imported when they may be wanted.
    const mayExportWantedName = wanted.some((want) => !files.includes(`${want}.bench.ts`));
    if (!mayExportWantedName) continue;
  }
  let module: Partial<BenchModule>;
  try {
    module = (await import(pathToFileURL(`${dir}/${file}`).href)) as Partial<BenchModule>;
  } catch (error) {
    // One broken bench must not hide the others' figures.
    console.error(`bench/${file}: failed to load: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
    continue;
  }
  if (typeof module.run !== 'function') {
    console.error(`bench/${file}: exports no run(); skipped`);
    continue;
  }
  const name = module.name ?? stem;
  if (wanted.length > 0 && !wanted.includes(name) && !wanted.includes(stem)) continue;
  console.log(`\n== ${name} (bench/${file})`);
  await module.run();
  ran++;
}
if (ran === 0) {
  console.error(`no bench matched ${wanted.join(', ') || '(none found)'}; available: ${files.join(', ')}`);
  process.exitCode = 2;
}
