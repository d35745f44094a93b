import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Local mode's function key, kept in `<local dir>/function-key` (0600) across restarts: an open
 * log-page tab and an exported shell keep working when `npm start` is restarted. Removing the
 * directory (or the file) makes a new one.
 */
export function functionKeyPath(dir: string): string {
  return join(dir, 'function-key');
}

const KEY = /^[A-Za-z0-9_-]{32,128}$/;

export function readOrCreateFunctionKey(dir: string): string {
  const path = functionKeyPath(dir);
  try {
    const existing = readFileSync(path, 'utf8').trim();
    if (KEY.test(existing)) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = randomBytes(32).toString('base64url');
  mkdirSync(dir, { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${key}\n`, { mode: 0o600 });
  renameSync(temp, path);
  return key;
}
