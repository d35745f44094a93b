import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { crc32, inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../..', import.meta.url));
const hostStub = join(repo, 'test/support/functions-host-stub.mjs');

/**
 * Reads a ZIP the way an extractor does (end record → central directory → local headers), written
 * here independently of scripts/zip.mjs so the writer is checked against the format, not itself.
 */
function unzip(archive: Buffer): Map<string, Buffer> {
  const end = archive.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  expect(end, 'end of central directory record').toBeGreaterThanOrEqual(0);
  const count = archive.readUInt16LE(end + 10);
  let at = archive.readUInt32LE(end + 16);
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    expect(archive.readUInt32LE(at), 'central directory header').toBe(0x02014b50);
    const method = archive.readUInt16LE(at + 10);
    const crc = archive.readUInt32LE(at + 16);
    const compressedSize = archive.readUInt32LE(at + 20);
    const size = archive.readUInt32LE(at + 24);
    const nameLength = archive.readUInt16LE(at + 28);
    const skip = archive.readUInt16LE(at + 30) + archive.readUInt16LE(at + 32);
    const local = archive.readUInt32LE(at + 42);
    const name = archive.toString('utf8', at + 46, at + 46 + nameLength);
    expect(archive.readUInt32LE(local), `local header of ${name}`).toBe(0x04034b50);
    const start = local + 30 + archive.readUInt16LE(local + 26) + archive.readUInt16LE(local + 28);
    const stored = archive.subarray(start, start + compressedSize);
    const data = method === 8 ? inflateRawSync(stored) : Buffer.from(stored);
    expect(data.length, `size of ${name}`).toBe(size);
    expect(crc32(data), `CRC of ${name}`).toBe(crc);
    files.set(name, data);
    at += 46 + nameLength + skip;
  }
  return files;
}

interface Registered {
  name: string;
  trigger: string | undefined;
}

const TRIGGER_OF_KIND: Record<string, string> = {
  http: 'httpTrigger',
  eventGrid: 'eventGridTrigger',
  timer: 'timerTrigger',
  storageQueue: 'queueTrigger',
};

describe('npm run package: the deployment zip', () => {
  let files: Map<string, Buffer>;
  let extracted: string;

  beforeAll(async () => {
    await run(process.execPath, ['scripts/package.mjs'], { cwd: repo });
    files = unzip(await readFile(join(repo, 'dist/driftwarden-functions.zip')));
    // Outside the repository: no node_modules anywhere above, as on the Functions host.
    extracted = await mkdtemp(join(tmpdir(), 'dw-package-'));
    for (const [name, data] of files) {
      await mkdir(dirname(join(extracted, name)), { recursive: true });
      await writeFile(join(extracted, name), data);
    }
  }, 120_000);

  afterAll(async () => {
    if (extracted) await rm(extracted, { recursive: true, force: true });
  });

  it('holds exactly host.json, a trimmed package.json and the bundle: entry, chunks, their maps', async () => {
    const names = [...files.keys()].sort();
    const bundle = names.filter((name) => name.startsWith('dist/'));
    expect(names).toEqual(['host.json', 'package.json', ...bundle].sort());
    expect(bundle).toContain('dist/functions/index.js');
    for (const name of bundle) expect(name).toMatch(/^dist\/functions\/(index|chunks\/[\w-]+)\.js(\.map)?$/);
    const scripts = bundle.filter((name) => name.endsWith('.js'));
    expect(bundle.filter((name) => name.endsWith('.map'))).toEqual(scripts.map((name) => `${name}.map`));
    expect(files.get('host.json')?.toString()).toBe(await readFile(join(repo, 'host.json'), 'utf8'));
    const source = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')) as Record<string, unknown>;
    const deployed = JSON.parse(files.get('package.json')?.toString() ?? '{}') as Record<string, unknown>;
    expect(deployed).toMatchObject({
      name: source.name,
      version: source.version,
      type: 'module',
      main: 'dist/functions/index.js',
    });
    // Everything is bundled: nothing for the host to install, no scripts to run.
    expect(deployed).not.toHaveProperty('dependencies');
    expect(deployed).not.toHaveProperty('devDependencies');
    expect(deployed).not.toHaveProperty('scripts');
  });

  it('bundles no developer tooling, tests or benchmarks', () => {
    const sources = [...files]
      .filter(([name]) => name.endsWith('.map'))
      .flatMap(([, map]) => (JSON.parse(map.toString()) as { sources: string[] }).sources);
    expect(sources.some((source) => source.endsWith('functions/onResourceChange.ts'))).toBe(true);
    const undeployable = sources.filter((source) => /^(\.\.\/)*(lib\/dev|test|bench)\//.test(source));
    expect(undeployable).toEqual([]);
  });

  it('loads its lazily imported chunks (ARM SDKs, Event Grid) from the extracted zip alone', async () => {
    const chunks = [...files.keys()].filter((name) => /^dist\/functions\/chunks\/.*\.js$/.test(name));
    expect(chunks.length).toBeGreaterThan(0);
    const script = `for (const chunk of ${JSON.stringify(chunks)}) await import('./' + chunk);`;
    await run(process.execPath, ['--import', hostStub, '--input-type=module', '-e', script], {
      cwd: extracted,
      env: { PATH: process.env.PATH ?? '' },
    });
  });

  it('registers every function of functions/index.ts with the host, from the extracted zip alone', async () => {
    await import('../../../functions/index.js');
    const { registeredFunctions } = await import('../../../lib/host/registration.js');
    const expected = registeredFunctions().map((definition) => ({
      name: definition.name,
      trigger: TRIGGER_OF_KIND[definition.kind],
    }));
    expect(expected.map((entry) => entry.name)).toContain('onResourceChange');

    const out = join(extracted, 'registered.json');
    const { stderr } = await run(process.execPath, ['--import', hostStub, 'dist/functions/index.js'], {
      cwd: extracted,
      env: { PATH: process.env.PATH ?? '', DW_REGISTERED_OUT: out },
    });
    expect(stderr).not.toMatch(/test mode/i);
    const registered = JSON.parse(await readFile(out, 'utf8')) as Registered[];
    expect(registered).toEqual(expected);
    expect(existsSync(join(extracted, 'node_modules'))).toBe(false);
  });
});
