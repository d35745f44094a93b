import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type BicepCli, type BicepDiagnostic, REPO_ROOT } from './cli.js';

/**
 * Compiles infra/main.bicep and infra/main.bicepparam, cached by the content of infra/ and the
 * CLI version: a second run with nothing changed reads two JSON files and runs no compiler.
 */

export const INFRA_DIR = join(REPO_ROOT, 'infra');
export const MAIN_BICEP = join(INFRA_DIR, 'main.bicep');
export const MAIN_PARAMS = join(INFRA_DIR, 'main.bicepparam');

export interface CompiledInfra {
  /** the compiled ARM template of main.bicep */
  templateFile: string;
  /** `build-params` output of main.bicepparam: `{ parametersJson, templateJson, ... }` */
  parametersFile: string;
  /** diagnostics of the two builds (the lint run is separate: it is not needed to get the JSON) */
  diagnostics: { build: BicepDiagnostic[]; buildParams: BicepDiagnostic[] };
  /** true when the files came from the cache */
  cached: boolean;
}

function infraFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...infraFiles(path));
    else files.push(path);
  }
  return files.sort();
}

/** Hash of every file under infra/ (names and content) and of the compiler that reads them. */
export function infraHash(cli: Pick<BicepCli, 'source' | 'version'>): string {
  const hash = createHash('sha256').update(`${cli.source} ${cli.version}\n`);
  for (const file of infraFiles(INFRA_DIR)) {
    hash.update(`${relative(INFRA_DIR, file)}\n`).update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 20);
}

function writeAtomically(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path); // readers never see half a file
}

export async function compileInfra(cli: BicepCli, cacheRoot: string): Promise<CompiledInfra> {
  const dir = join(cacheRoot, infraHash(cli));
  const templateFile = join(dir, 'main.json');
  const parametersFile = join(dir, 'main.parameters.json');
  const diagnosticsFile = join(dir, 'diagnostics.json');
  if (existsSync(templateFile) && existsSync(parametersFile) && existsSync(diagnosticsFile)) {
    const diagnostics = JSON.parse(readFileSync(diagnosticsFile, 'utf8')) as CompiledInfra['diagnostics'];
    return { templateFile, parametersFile, diagnostics, cached: true };
  }
  const [build, buildParams] = await Promise.all([cli.build(MAIN_BICEP), cli.buildParams(MAIN_PARAMS)]);
  const diagnostics = { build: build.diagnostics, buildParams: buildParams.diagnostics };
  mkdirSync(dir, { recursive: true });
  // Only a successful compile is cached; with errors there is no JSON worth keeping.
  if (build.stdout.trim()) writeAtomically(templateFile, build.stdout);
  if (buildParams.stdout.trim()) writeAtomically(parametersFile, buildParams.stdout);
  writeAtomically(diagnosticsFile, JSON.stringify(diagnostics));
  return { templateFile, parametersFile, diagnostics, cached: false };
}
