import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../lib/dev/random.js';
import {
  decodeKey,
  encodeKey,
  joinKey,
  KeyTooLongError,
  MAX_KEY_BYTES,
  splitKey,
} from '../../../lib/evidence/keys.js';

const HOSTILE = [
  '/',
  '\\',
  '#',
  '?',
  '%',
  '~',
  '%2F',
  '%u0041',
  '\u0000',
  '\u001f',
  '\u007f',
  '\u009f',
  '\ud800',
  '\udfff',
  '😀',
  'é',
  "'",
  '"',
  ' ',
  '\u2028',
];

function randomString(next: () => number, maxLength: number): string {
  const length = Math.floor(next() * maxLength);
  let out = '';
  for (let i = 0; i < length; i++) {
    const pick = next();
    if (pick < 0.4) out += HOSTILE[Math.floor(next() * HOSTILE.length)];
    else if (pick < 0.7) out += String.fromCharCode(32 + Math.floor(next() * 95));
    else out += String.fromCharCode(Math.floor(next() * 0x10000)); // any code unit, incl. lone surrogates
  }
  return out;
}

// Characters the Table service rejects in keys, plus lone surrogates (not representable in UTF-8).
const ILLEGAL_IN_KEY =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting that control characters are absent
  /[/\\#?\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe('table key encoding', () => {
  it('leaves ordinary ids readable', () => {
    expect(encodeKey('00000000-0000-0000-0000-000000000001')).toBe('00000000-0000-0000-0000-000000000001');
    expect(encodeKey('Ünïcødé 😀')).toBe('Ünïcødé 😀');
  });

  it('escapes exactly the illegal characters, % and ~', () => {
    expect(encodeKey('/a\\b#c?d%e~f')).toBe('%2Fa%5Cb%23c%3Fd%25e%7Ef');
    expect(encodeKey('\u0000\u001f\u007f\u009f')).toBe('%00%1F%7F%9F');
    expect(encodeKey('\ud800x')).toBe('%uD800x');
  });

  it('round-trips and never emits an illegal character (2,000 seeded hostile strings)', () => {
    const next = seededRandom(20261101);
    for (let i = 0; i < 2000; i++) {
      const value = randomString(next, 60);
      const encoded = encodeKey(value);
      expect(ILLEGAL_IN_KEY.test(encoded), JSON.stringify(value)).toBe(false);
      expect(encoded.includes('~')).toBe(false);
      expect(decodeKey(encoded)).toBe(value);
    }
  });

  it('is collision-free: distinct inputs give distinct keys', () => {
    const next = seededRandom(7);
    const seen = new Map<string, string>();
    for (let i = 0; i < 5000; i++) {
      const value = randomString(next, 6);
      const encoded = encodeKey(value);
      const previous = seen.get(encoded);
      if (previous !== undefined) expect(previous).toBe(value);
      seen.set(encoded, value);
    }
    expect(encodeKey('%2F')).not.toBe(encodeKey('/'));
  });

  it('composite keys split back into their parts', () => {
    const next = seededRandom(99);
    for (let i = 0; i < 500; i++) {
      const parts = [randomString(next, 10), randomString(next, 10), randomString(next, 10)];
      expect(splitKey(joinKey(...parts.map(encodeKey)))).toEqual(parts);
    }
  });

  it('rejects keys over 1 KiB and malformed escapes', () => {
    expect(() => encodeKey('a'.repeat(MAX_KEY_BYTES / 2))).not.toThrow();
    expect(() => encodeKey('a'.repeat(MAX_KEY_BYTES / 2 + 1))).toThrow(KeyTooLongError);
    expect(() => encodeKey('#'.repeat(200))).toThrow(KeyTooLongError); // 600 chars after escaping
    expect(() => decodeKey('%zz')).toThrow(SyntaxError);
    expect(() => decodeKey('50%')).toThrow(SyntaxError);
  });
});
