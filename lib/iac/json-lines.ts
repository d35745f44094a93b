import type { JsonPath } from './types.js';

/**
 * Line numbers for JSON paths, so a finding can point at the line of its resource (code-scanning
 * pages show results on a line). JSON.parse keeps no positions; this scanner walks text that
 * JSON.parse has already accepted and records the line where each object or array starts.
 */

const IDENTIFIER = /^[A-Za-z_$][\w$-]*$/;

/** `label.key` for identifier-like keys, `label["key"]` otherwise. */
export function appendKey(label: string, key: string): string {
  return IDENTIFIER.test(key) ? `${label}.${key}` : `${label}[${JSON.stringify(key)}]`;
}

/** A JSON path as text: `resources[2].properties`, `resources.nsg`, `resource_changes[0]`. */
export function formatPath(path: JsonPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out = out === '' && IDENTIFIER.test(segment) ? segment : appendKey(out, segment);
  }
  return out;
}

const MAX_DEPTH = 64; // resources sit a few levels down; deeper containers are not worth indexing

/** formatPath(path) -> 1-based line of the container value at that path. */
export function lineIndex(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  let pos = 0;
  let line = 1;
  const length = text.length;

  const skipSpace = () => {
    for (; pos < length; pos++) {
      const c = text.charCodeAt(pos);
      if (c === 10) line++;
      else if (c !== 32 && c !== 9 && c !== 13) break;
    }
  };
  /** Moves past a string; returns its text only when asked (keys), decoding escapes then. */
  const readString = (wanted: boolean): string => {
    const start = ++pos; // after the opening quote
    let escaped = false;
    // indexOf is far faster than a character loop; a quote preceded by an odd run of backslashes is escaped.
    for (;;) {
      const quote = text.indexOf('"', pos);
      if (quote < 0) {
        pos = length;
        break;
      }
      let slashes = 0;
      while (text.charCodeAt(quote - 1 - slashes) === 92) slashes++;
      if (slashes > 0) escaped = true;
      pos = quote + 1;
      if (slashes % 2 === 0) break;
    }
    if (!wanted) return '';
    const raw = text.slice(start, pos - 1);
    escaped ||= raw.includes('\\');
    return escaped ? (JSON.parse(`"${raw}"`) as string) : raw;
  };
  const skipScalar = () => {
    while (pos < length) {
      const c = text.charCodeAt(pos);
      if (c === 44 || c === 93 || c === 125 || c === 32 || c === 10 || c === 13 || c === 9) break;
      pos++;
    }
  };
  const isContainer = () => {
    const c = text.charCodeAt(pos);
    return c === 123 || c === 91; // { [
  };
  /** A scalar is skipped without building its path label: only containers are indexed. */
  const skipValue = () => {
    if (text.charCodeAt(pos) === 34) readString(false);
    else skipScalar();
  };

  const container = (label: string, depth: number): void => {
    const open = text.charCodeAt(pos);
    if (depth <= MAX_DEPTH) lines.set(label, line);
    pos++;
    skipSpace();
    if (open === 123) {
      if (text.charCodeAt(pos) === 125) {
        pos++;
        return;
      }
      for (;;) {
        skipSpace();
        const key = readString(true);
        skipSpace();
        pos++; // ':'
        skipSpace();
        if (isContainer())
          container(label === '' && IDENTIFIER.test(key) ? key : appendKey(label, key), depth + 1);
        else skipValue();
        skipSpace();
        if (text.charCodeAt(pos++) !== 44) return; // '}'
      }
    }
    if (text.charCodeAt(pos) === 93) {
      pos++;
      return;
    }
    for (let index = 0; ; index++) {
      skipSpace();
      if (isContainer()) container(`${label}[${index}]`, depth + 1);
      else skipValue();
      skipSpace();
      if (text.charCodeAt(pos++) !== 44) return; // ']'
    }
  };

  skipSpace();
  if (isContainer()) container('', 0);
  return lines;
}
