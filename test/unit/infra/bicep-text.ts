import { readFileSync } from 'node:fs';

/**
 * Just enough Bicep reading for the infra cross-check (no Bicep compiler here): comments out,
 * strings and brackets respected, declarations and resource bodies cut out as text.
 */

const INFRA = new URL('../../../infra/', import.meta.url);

/** A file under infra/ with its comments removed. */
export function readInfra(path: string): string {
  return stripComments(readFileSync(new URL(path, INFRA), 'utf8'));
}

/** Index just past the string starting at `start` ('...' with \ escapes and ${...} holes, or '''...'''). */
function stringEnd(text: string, start: number): number {
  if (text.startsWith("'''", start)) {
    const end = text.indexOf("'''", start + 3);
    return end === -1 ? text.length : end + 3;
  }
  let i = start + 1;
  while (i < text.length && text[i] !== "'") {
    if (text[i] === '\\') i += 2;
    else if (text.startsWith('${', i)) i = closingIndex(text, i + 1) + 1;
    else i += 1;
  }
  return i + 1;
}

/** Index of the bracket that closes the one at `open` ({, [ or (), skipping strings. */
export function closingIndex(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const ch = text[i] ?? '';
    if (ch === "'") {
      i = stringEnd(text, i) - 1;
    } else if ('{[('.includes(ch)) {
      depth++;
    } else if ('}])'.includes(ch)) {
      depth--;
      if (depth === 0) return i;
    }
  }
  throw new Error(`unbalanced bracket at offset ${open}`);
}

export function stripComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] === "'") {
      const end = stringEnd(text, i);
      out += text.slice(i, end);
      i = end;
    } else if (text.startsWith('//', i)) {
      const newline = text.indexOf('\n', i);
      i = newline === -1 ? text.length : newline;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? text.length : end + 2;
    } else {
      out += text[i];
      i++;
    }
  }
  return out;
}

/** The whole `var NAME = ...` statement (to the first line end outside brackets). */
export function variable(text: string, name: string): string {
  const match = new RegExp(`^var\\s+${name}\\s*=`, 'm').exec(text);
  if (!match) throw new Error(`no "var ${name}" declaration`);
  let i = match.index + match[0].length;
  let depth = 0;
  let seenValue = false;
  while (i < text.length) {
    const ch = text[i] ?? '';
    if (ch === "'") {
      i = stringEnd(text, i);
      seenValue = true;
      continue;
    }
    if (ch === '\n' && depth === 0 && seenValue) break;
    if ('{[('.includes(ch)) depth++;
    else if ('}])'.includes(ch)) depth--;
    if (!/\s/.test(ch)) seenValue = true;
    i++;
  }
  return text.slice(match.index, i);
}

/** `param NAME ...` line plus its decorators: default value text and @minValue, if any. */
export function param(text: string, name: string): { defaultValue: string | null; minValue: number | null } {
  const match = new RegExp(`^param\\s+${name}\\b(.*)$`, 'm').exec(text);
  if (!match) throw new Error(`no "param ${name}" declaration`);
  const decorators: string[] = [];
  for (const line of text.slice(0, match.index).split('\n').reverse().slice(1)) {
    if (!line.trim() || /^(param|var|resource|module|output|targetScope|type)\b/.test(line)) break;
    decorators.push(line);
  }
  const min = /@minValue\((\d+)\)/.exec(decorators.join('\n'));
  const defaultValue = /=\s*(.+)$/.exec(match[1] ?? '')?.[1]?.trim() ?? null;
  return { defaultValue, minValue: min ? Number(min[1]) : null };
}

/** `param NAME = VALUE` from a .bicepparam file. */
export function paramValue(text: string, name: string): string {
  const match = new RegExp(`^param\\s+${name}\\s*=\\s*(.+)$`, 'm').exec(text);
  if (!match?.[1]) throw new Error(`no "param ${name} = ..." assignment`);
  return match[1].trim();
}

/** A resource by symbolic name: its type (without API version) and its `{ ... }` body. */
export function resource(text: string, symbolicName: string): { type: string; body: string } {
  const match = new RegExp(`^resource\\s+${symbolicName}\\s+'([^'@]+)@[^']+'`, 'm').exec(text);
  if (!match?.[1]) throw new Error(`no "resource ${symbolicName}" declaration`);
  const open = text.indexOf('{', match.index + match[0].length);
  return { type: match[1], body: text.slice(open, closingIndex(text, open) + 1) };
}

/** Value text of the first `KEY: value` line in a block (trimmed), or null. */
export function property(block: string, key: string): string | null {
  return new RegExp(`^\\s*${key}\\s*:\\s*(.+)$`, 'm').exec(block)?.[1]?.trim() ?? null;
}

/**
 * Keys and raw value text of the object literals at the top of `text` (brace depth 1), e.g. of a
 * `var settings = { A: 'x' }` statement. Covers every top-level object of a ternary.
 */
export function objectEntries(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  const key = /^\s*(?:'([^']+)'|([A-Za-z_][A-Za-z0-9_]*))\s*:\s*(.*)$/;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] ?? '';
    if (ch === "'") {
      i = stringEnd(text, i) - 1;
    } else if (ch === '{') {
      depth++;
    } else if (ch === '}') {
      depth--;
    } else if (ch === '\n' && depth === 1) {
      const end = text.indexOf('\n', i + 1);
      const line = text.slice(i + 1, end === -1 ? text.length : end);
      const match = key.exec(line);
      if (match) entries.set(match[1] ?? match[2] ?? '', (match[3] ?? '').trim());
    }
  }
  return entries;
}

/** Plain string literals (no ${} interpolation) in order of appearance. */
export function stringLiterals(text: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== "'") continue;
    const end = stringEnd(text, i);
    const raw = text.slice(i + 1, end - 1);
    if (!raw.includes('${')) values.push(raw.replace(/\\(.)/g, '$1'));
    i = end - 1;
  }
  return values;
}

/** 'abc' → abc; anything else unchanged. */
export function unquote(value: string): string {
  return /^'(.*)'$/.exec(value)?.[1] ?? value;
}
