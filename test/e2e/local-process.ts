/**
 * Runs what `npm start` runs (package.json `scripts.start`) in its own process group, so the test
 * can press "Ctrl-C" (SIGINT to the whole group, as a terminal does) and check that nothing is left
 * afterwards. Not through npm itself: on SIGINT npm re-raises the signal on itself whatever the
 * script's exit code, so the script's own clean exit (0) would be invisible.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type LocalInfo, localInfoPath, readLocalInfo } from '../../lib/cli/local-info.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface LocalProcess {
  child: ChildProcess;
  /** stdout + stderr so far */
  output(): string;
  /** resolves with the exit code (null when killed by a signal) */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGINT to the process group: what Ctrl-C in a terminal does */
  interrupt(): void;
  /** SIGKILL to the group if anything of it is still alive (test cleanup) */
  kill(): void;
  /** whether any process of the group is still alive */
  groupAlive(): boolean;
}

/**
 * `scripts.start` as [command, args]. A `tsx FILE` script runs as `node --import tsx FILE`: the same
 * loader, without tsx's CLI in between, whose signal relay re-sends SIGINT, then SIGKILLs its child
 * and exits 130, when the child has not acknowledged within 30 ms (it happens on a loaded machine).
 */
function startScript(): [string, string[]] {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts?: { start?: string };
  };
  const [bin, ...args] = (pkg.scripts?.start ?? '').trim().split(/\s+/);
  if (!bin) throw new Error('package.json has no start script');
  if (bin === 'tsx') return [process.execPath, ['--import', 'tsx', ...args]];
  if (bin === 'node') return [process.execPath, args];
  return [join(REPO_ROOT, 'node_modules', '.bin', bin), args];
}

export function startLocalProcess(env: Record<string, string>): LocalProcess {
  const [bin, args] = startScript();
  const child = spawn(bin, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, DW_LOCAL_VERBOSE: '' },
    detached: true, // own process group, so the group can be signalled and checked as a whole
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const pgid = child.pid ?? 0;
  const groupAlive = () => {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  };
  return {
    child,
    output: () => output,
    exited,
    interrupt: () => process.kill(-pgid, 'SIGINT'),
    kill: () => {
      if (groupAlive()) process.kill(-pgid, 'SIGKILL');
    },
    groupAlive,
  };
}

/** Polls until `check` returns a value (not undefined), or fails with `what` after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(intervalMs);
  }
  const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
}

/** Waits for local.json, failing at once (with the output) if the process exits first. */
export async function waitForLocalInfo(
  local: LocalProcess,
  dir: string,
  timeoutMs: number,
): Promise<LocalInfo> {
  const ready = eventually(
    localInfoPath(dir),
    () => (existsSync(localInfoPath(dir)) ? (readLocalInfo(dir) ?? undefined) : undefined),
    timeoutMs,
    200,
  );
  const died = local.exited.then(({ code, signal }) => {
    throw new Error(`npm start exited (code ${code}, signal ${signal}) before it was ready`);
  });
  try {
    return await Promise.race([ready, died]);
  } catch (error) {
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}\n--- output ---\n${local.output()}`,
    );
  } finally {
    // The loser settles later; neither may become an unhandled rejection.
    died.catch(() => undefined);
    ready.catch(() => undefined);
  }
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * Processes whose command line or environment mentions `dir` (the test's DW_LOCAL_DIR): the
 * launcher, the relaunched child (own process group) and Azurite (`--location dir/azurite`).
 * Linux /proc only; elsewhere returns [] and the port checks stand alone.
 */
export function processesUsing(dir: string): number[] {
  if (!existsSync('/proc')) return [];
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    for (const file of ['cmdline', 'environ']) {
      try {
        if (readFileSync(`/proc/${entry}/${file}`).includes(dir)) {
          found.push(Number(entry));
          break;
        }
      } catch {
        // gone meanwhile, or not ours to read
      }
    }
  }
  return found;
}
