import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { dirname } from 'node:path';
import { localDir, localInfoPath, readLocalInfo } from '../cli/local-info.js';
import { CliError, type CliIo } from '../cli/types.js';
import { type Config, ConfigError, loadConfig, SETTINGS } from '../config.js';
import { ApiError } from './http.js';

/**
 * Plumbing shared by the on-call CLI commands (log, verify, exceptions, restore): they read the
 * same settings as the Function app and reuse the API's validation and store code, so the
 * API's error messages become one-line CLI errors.
 */
export async function cliConfig(env: CliIo['env']): Promise<Config> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message + localModeHint(error, env));
    throw error;
  }
  const stale = await staleLocalEnv(env);
  if (stale) throw new CliError(stale);
  return config;
}

const REFRESH_ENV = 'eval "$(npx driftwarden sandbox env)"';

/**
 * A shell exported by `driftwarden sandbox env` (it sets DW_LOCAL_SESSION to its local.json) that
 * outlived that local mode: say so at once, instead of letting the SDKs retry a dead port for 7–10 s.
 * Settings from anywhere else are not second-guessed.
 */
export async function staleLocalEnv(env: CliIo['env']): Promise<string | null> {
  const session = env.DW_LOCAL_SESSION?.trim();
  if (!session) return null;
  let info: ReturnType<typeof readLocalInfo>;
  try {
    info = readLocalInfo(dirname(session));
  } catch {
    info = null;
  }
  if (info) {
    const current =
      info.tableConnectionString === env[SETTINGS.storageConnection] &&
      info.armEndpoint === env[SETTINGS.armEndpoint];
    return current
      ? null
      : `this shell's settings are from an earlier local mode (it restarted on other ports); run: ${REFRESH_ENV}`;
  }
  const endpoint = /TableEndpoint=([^;]+)/i.exec(env[SETTINGS.storageConnection] ?? '')?.[1];
  const listening = endpoint ? await answers(endpoint) : false;
  return listening
    ? null
    : `local mode is not running (no ${session}${endpoint ? `, nothing listens at ${endpoint}` : ''}); start it with npm start, then run: ${REFRESH_ENV}`;
}

/** Whether something accepts a TCP connection at the URL's host and port within `ms`. */
function answers(url: string, ms = 500): Promise<boolean> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return Promise.resolve(false);
  }
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  return new Promise((resolve) => {
    const socket = connect({ host: target.hostname, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(ms, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** No storage configured but local mode is running here: say how to point the CLI at it. */
function localModeHint(error: ConfigError, env: CliIo['env']): string {
  if (error.setting !== SETTINGS.tableServiceUri || env[SETTINGS.storageConnection]?.trim()) return '';
  const dir = localDir(env);
  try {
    if (!readLocalInfo(dir)) return '';
  } catch {
    return '';
  }
  return `. Local mode is running (${localInfoPath(dir)}): eval "$(npx driftwarden sandbox env)" sets them`;
}

/** Runs `work`, turning the API's caller-facing errors (400/404/409/413/501) into one-line CLI errors. */
export async function asCli<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ApiError && (error.status < 500 || error.status === 501))
      throw new CliError(error.message.replace(/\.$/, ''));
    throw error;
  }
}

/** `--since 24h` / `7d` / `30m` means that long ago; anything else is passed on (ISO, validated later). */
export function relativeSince(value: string | undefined, now: Date): string | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d{1,5})([mhd])$/.exec(value.trim());
  if (!match) return value;
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'm' | 'h' | 'd'];
  return new Date(now.getTime() - Number(match[1]) * unit).toISOString();
}

/**
 * Who approves or revokes from this shell: --approver/--by, else $USER/$USERNAME/$LOGNAME, else
 * the OS account (containers and CI often run with no $USER). Null only when none is known.
 */
export function defaultActor(explicit: string | undefined, env: CliIo['env']): string | null {
  const named = explicit?.trim() || env.USER?.trim() || env.USERNAME?.trim() || env.LOGNAME?.trim();
  if (named) return named;
  try {
    return userInfo().username.trim() || null;
  } catch {
    return null; // no passwd entry for this uid
  }
}

/**
 * Fixed-width columns (at most 60 wide, except `unclipped` ones such as ids people copy), the
 * line cut to the terminal width when known — unless the last column is unclipped (a full
 * resource id people copy: the terminal wraps it rather than we cut it). `fixedWidths` pins
 * columns (longer cells are clipped; unclipped ones only grow), so `log --follow`, which prints a
 * table per poll, keeps its columns in place.
 */
export function formatColumns(
  header: string[],
  rows: string[][],
  columns?: number,
  unclipped: number[] = [],
  fixedWidths: number[] = [],
): string {
  const widths = header.map((title, index) => {
    const widest = Math.max(title.length, ...rows.map((row) => (row[index] ?? '').length));
    const fixed = fixedWidths[index];
    if (unclipped.includes(index)) return Math.max(widest, fixed ?? 0);
    return fixed ?? Math.min(60, widest);
  });
  const lastUnclipped = unclipped.includes(header.length - 1);
  const line = (cells: string[]) => {
    const text = cells
      .map((cell, index) => {
        const width = widths[index] ?? cell.length;
        const clipped = cell.length > width ? `${cell.slice(0, width - 1)}…` : cell;
        return index === cells.length - 1 ? clipped : clipped.padEnd(width);
      })
      .join('  ');
    return columns && !lastUnclipped && text.length > columns ? `${text.slice(0, columns - 1)}…` : text;
  };
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}
