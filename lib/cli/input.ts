import { readFile, stat } from 'node:fs/promises';
import type { CliIo } from './types.js';
import { CliError } from './types.js';

/** Large enough for `az resource list` over a big tenant; small enough to refuse a 2 GB mistake. */
export const MAX_INPUT_BYTES = 256 * 1024 * 1024;

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(bytes >= 1024 * 1024 * 1024 ? 0 : 1)} MiB`;
}

/** Reads FILE, or stdin for `-`, refusing more than `limit` bytes (checked before reading a file). */
export async function readInput(source: string, io: CliIo, limit = MAX_INPUT_BYTES): Promise<string> {
  if (source === '-') return readStdin(io, limit);
  let size: number;
  try {
    const info = await stat(source);
    if (!info.isFile()) throw new CliError(`${source} is not a file`);
    size = info.size;
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as { code?: unknown }).code;
    throw new CliError(
      code === 'ENOENT' ? `${source}: no such file` : `cannot read ${source} (${String(code ?? error)})`,
    );
  }
  if (size > limit) throw new CliError(`${source} is ${mib(size)}; the input limit is ${mib(limit)}`);
  try {
    return stripBom(await readFile(source, 'utf8'));
  } catch (error) {
    throw new CliError(`cannot read ${source} (${String((error as { code?: unknown }).code ?? error)})`);
  }
}

async function readStdin(io: CliIo, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of io.stdin) {
    const buffer =
      typeof chunk === 'string'
        ? Buffer.from(chunk)
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    total += buffer.byteLength;
    if (total > limit) throw new CliError(`standard input exceeds the input limit of ${mib(limit)}`);
    chunks.push(buffer);
  }
  return stripBom(Buffer.concat(chunks).toString('utf8'));
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** JSON.parse with a one-line, bounded error message naming the input. */
export function parseJson(text: string, what: string): unknown {
  if (text.trim() === '') throw new CliError(`${what} is empty`);
  try {
    return JSON.parse(text);
  } catch (error) {
    // V8 quotes a piece of the input (`Unexpected token 'o', "not json" is not valid JSON`): drop
    // it, since a mistaken file (a .env, a connection string) must not reach the terminal or CI logs.
    const detail = (error instanceof Error ? error.message : String(error))
      .replace(/\s+/g, ' ')
      .replace(/, (\.\.\.)?".*"(\.\.\.)? is not valid JSON$/, '')
      .slice(0, 160);
    throw new CliError(`${what} is not valid JSON: ${detail}`);
  }
}
