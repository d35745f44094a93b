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
  const readString = (): string => {
    const start = ++pos; // after the opening quote
    let escaped = false;
    for (; pos < length; pos++) {
      const c = text.charCodeAt(pos);
      if (c === 92) {
        escaped = true;
        pos++; // the escaped character, which may be a quote
      } else if (c === 34) break;
    }
    const raw = text.slice(start, pos);
    pos++; // closing quote
    return escaped ? (JSON.parse(`"${raw}"`) as string) : raw;
  };
  const skipScalar = () => {
    while (pos < length) {
      const c = text.charCodeAt(pos);
      if (c === 44 || c === 93 || c === 125 || c === 32 || c === 10 || c === 13 || c === 9) break;
      pos++;
    }
  };

  const value = (label: string, depth: number): void => {
    skipSpace();
    const c = text[pos];
    if (c === '"') {
      readString();
      return;
    }
    if (c !== '{' && c !== '[') {
      skipScalar();
      return;
    }
    if (depth <= MAX_DEPTH) lines.set(label, line);
    pos++;
    skipSpace();
    if (c === '{') {
      if (text[pos] === '}') {
        pos++;
        return;
      }
      for (;;) {
        skipSpace();
        const key = readString();
        skipSpace();
        pos++; // ':'
        value(label === '' && IDENTIFIER.test(key) ? key : appendKey(label, key), depth + 1);
        skipSpace();
        if (text[pos++] !== ',') return; // '}'
      }
    }
    if (text[pos] === ']') {
      pos++;
      return;
    }
    for (let index = 0; ; index++) {
      value(`${label}[${index}]`, depth + 1);
      skipSpace();
      if (text[pos++] !== ',') return; // ']'
    }
  };

  value('', 0);
  return lines;
}
