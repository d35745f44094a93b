import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Finds a Bicep CLI for the infra tests and `npm run infra:check`: a `bicep` on PATH, else
 * `az bicep` when the Azure CLI has Bicep installed, else the binary NuGet restores from
 * tools/bicep/bicep.csproj into .tools/nuget (restored on first use when `dotnet` exists).
 */

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TOOLS_PROJECT = join(REPO_ROOT, 'tools/bicep/bicep.csproj');
const PACKAGES = join(REPO_ROOT, '.tools/nuget');

export type BicepSource = 'PATH' | 'az bicep' | 'NuGet';

/** One compiler message, parsed from Bicep's `file(line,col) : Level CODE: message` lines. */
export interface BicepDiagnostic {
  file: string;
  line: number;
  column: number;
  level: 'Error' | 'Warning' | 'Info';
  code: string;
  message: string;
}

export interface BicepOutput {
  /** what the command printed on stdout (`--stdout`: the compiled JSON) */
  stdout: string;
  diagnostics: BicepDiagnostic[];
}

export interface BicepCli {
  source: BicepSource;
  /** e.g. "0.49.2" */
  version: string;
  /** how to run it by hand, for messages: "bicep", "az bicep", or the restored binary's path */
  command: string;
  /** the program and the arguments before the verb (`az` + `bicep`) */
  executable: string;
  prefixArgs: readonly string[];
  build(file: string): Promise<BicepOutput>;
  buildParams(file: string): Promise<BicepOutput>;
  lint(file: string): Promise<BicepOutput>;
}

/** No CLI and no way to restore one (no `dotnet`): callers may skip, unless a CLI is required. */
export class BicepUnavailableError extends Error {
  override name = 'BicepUnavailableError';
}

/** A step that should have worked did not (restore, or a run that produced no output at all). */
export class BicepToolError extends Error {
  override name = 'BicepToolError';
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: REPO_ROOT, env: env ?? process.env, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        // a process that could not start (or timed out) printed nothing: keep Node's reason
        const reason = error && !stdout && !stderr ? error.message : '';
        resolve({ code, stdout, stderr: stderr || reason });
      },
    );
  });
}

/** Absolute path of an executable on PATH, or null. */
export function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

const DIAGNOSTIC = /^(.+)\((\d+),(\d+)\)\s*:\s*(Error|Warning|Info)\s+([A-Za-z0-9-]+)\s*:\s*(.*)$/;

export function parseDiagnostics(text: string): BicepDiagnostic[] {
  const diagnostics: BicepDiagnostic[] = [];
  for (const line of text.split(/\r?\n/)) {
    const match = DIAGNOSTIC.exec(line.trim());
    if (!match) continue;
    const [, file = '', lineNo = '0', column = '0', level, code = '', message = ''] = match;
    diagnostics.push({
      file,
      line: Number(lineNo),
      column: Number(column),
      level: level as BicepDiagnostic['level'],
      code,
      message,
    });
  }
  return diagnostics;
}

/** One line per diagnostic, paths relative to the repository, for assertion messages. */
export function formatDiagnostics(diagnostics: readonly BicepDiagnostic[]): string {
  return diagnostics
    .map((d) => `${d.file.replace(REPO_ROOT, '')}(${d.line},${d.column}) ${d.level} ${d.code}: ${d.message}`)
    .join('\n');
}

function oneLine(text: string, max = 600): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}

/**
 * `az bicep` takes `--file`; the standalone CLI takes the file as an argument. Everything else is
 * the same, so one function builds either argument list.
 */
function cliFor(source: BicepSource, command: string, prefix: readonly string[], version: string): BicepCli {
  const fileArgs = (file: string) => (source === 'az bicep' ? ['--file', file] : [file]);
  const invoke = async (verb: string, file: string, extra: readonly string[]): Promise<BicepOutput> => {
    const args = [...prefix, verb, ...fileArgs(file), ...extra];
    const result = await run(command, args);
    const diagnostics = parseDiagnostics(result.stderr);
    // A non-zero exit with errors is a normal result (the caller reports the diagnostics);
    // a non-zero exit without any diagnostic means the tool itself failed.
    if (result.code !== 0 && diagnostics.length === 0) {
      throw new BicepToolError(
        `\`${[command, ...args].join(' ')}\` failed (exit ${result.code}): ${oneLine(result.stderr + result.stdout)}`,
      );
    }
    return { stdout: result.stdout, diagnostics };
  };
  return {
    source,
    version,
    command: [command, ...prefix].join(' '),
    executable: command,
    prefixArgs: prefix,
    build: (file) => invoke('build', file, ['--stdout']),
    buildParams: (file) => invoke('build-params', file, ['--stdout']),
    lint: (file) => invoke('lint', file, []),
  };
}

const VERSION = /(\d+\.\d+\.\d+)/;

async function versionOf(command: string, args: readonly string[]): Promise<string | null> {
  const result = await run(command, args);
  if (result.code !== 0) return null;
  return VERSION.exec(result.stdout + result.stderr)?.[1] ?? null;
}

/** The Bicep version and runtime identifier tools/bicep/bicep.csproj restores. */
export function pinnedBicep(): { version: string; rid: string; packageId: string } {
  const project = readFileSync(TOOLS_PROJECT, 'utf8');
  const version = /<BicepVersion>([^<]+)<\/BicepVersion>/.exec(project)?.[1]?.trim();
  if (!version) throw new BicepToolError(`no <BicepVersion> in ${TOOLS_PROJECT}`);
  const rid = runtimeIdentifier();
  return { version, rid, packageId: `Azure.Bicep.CommandLine.${rid}` };
}

/** NuGet runtime identifier of this machine, as the Azure.Bicep.CommandLine.<rid> packages name them. */
function runtimeIdentifier(): string {
  const os = { linux: 'linux', darwin: 'osx', win32: 'win' }[process.platform as string];
  const arch = { x64: 'x64', arm64: 'arm64' }[process.arch as string];
  if (!os || !arch)
    throw new BicepUnavailableError(`no Bicep CLI package for ${process.platform}/${process.arch}`);
  return `${os}-${arch}`;
}

/** Where the restored binary lives (NuGet lower-cases package folders). */
export function restoredBinary(): string {
  const { version, packageId } = pinnedBicep();
  const exe = process.platform === 'win32' ? 'bicep.exe' : 'bicep';
  return join(PACKAGES, packageId.toLowerCase(), version, 'tools', exe);
}

/** Restores the pinned CLI unless it is already there (then this costs one existsSync). */
export async function restoreBicep(): Promise<string> {
  const binary = restoredBinary();
  if (existsSync(binary)) return binary;
  const dotnet = onPath('dotnet');
  if (!dotnet) {
    throw new BicepUnavailableError(
      'no Bicep CLI: no `bicep` or `az bicep` on PATH, and no `dotnet` to restore tools/bicep/bicep.csproj',
    );
  }
  const { rid } = pinnedBicep();
  const args = ['restore', TOOLS_PROJECT, `-p:BicepRid=${rid}`, '--nologo', '-v', 'quiet'];
  const result = await run(dotnet, args, {
    ...process.env,
    DOTNET_CLI_TELEMETRY_OPTOUT: '1',
    DOTNET_NOLOGO: '1',
    DOTNET_SKIP_FIRST_TIME_EXPERIENCE: '1',
  });
  if (result.code !== 0 || !existsSync(binary)) {
    throw new BicepToolError(
      `\`dotnet ${args.join(' ')}\` did not restore ${binary} (exit ${result.code}): ${oneLine(result.stdout + result.stderr)}`,
    );
  }
  return binary;
}

/**
 * The first available CLI, in the order a developer would expect: their own `bicep`, the Azure
 * CLI's, then the pinned NuGet binary. Throws BicepUnavailableError when there is none and no way
 * to get one, BicepToolError when a restore was possible but failed.
 */
export async function findBicep(): Promise<BicepCli> {
  const standalone = onPath('bicep');
  if (standalone) {
    const version = await versionOf(standalone, ['--version']);
    if (version) return cliFor('PATH', standalone, [], version);
  }
  const az = onPath('az');
  if (az) {
    // `az bicep version` fails (rather than installing) when Bicep is not installed for az.
    const version = await versionOf(az, ['bicep', 'version', '--only-show-errors']);
    if (version) return cliFor('az bicep', az, ['bicep'], version);
  }
  // The package folder is the pinned version, so no `--version` run (a .NET start) is needed.
  const binary = await restoreBicep();
  return cliFor('NuGet', binary, [], pinnedBicep().version);
}
