import { describe, expect, it } from 'vitest';
import { sameText } from '../../../lib/controls/support.js';

/** The comparison sameText promises; its ASCII fast path must agree with it everywhere. */
const reference = (a: string, b: string) => a.trim().toLowerCase() === b.toLowerCase();

describe('sameText', () => {
  it('compares trimmed and case-insensitively, as ARM compares enum-like strings', () => {
    expect(sameText('Inbound', 'inbound')).toBe(true);
    expect(sameText(' ALLOW\t', 'allow')).toBe(true);
    expect(sameText('Allow', 'Deny')).toBe(false);
    expect(sameText('Allo', 'allow')).toBe(false);
    expect(sameText(null, 'allow')).toBe(false);
    expect(sameText(undefined, '')).toBe(false);
    expect(sameText('', '')).toBe(true);
  });

  it('agrees with trim + toLowerCase on padded, non-ASCII and look-alike strings', () => {
    const alphabet = [
      'a',
      'A',
      'z',
      'Z',
      '@',
      '[',
      '`',
      '{',
      ' ',
      '\t',
      '\n',
      '\u00a0',
      '\ufeff',
      'İ',
      'ß',
      'K',
      'k',
      'é',
      'É',
    ];
    // every pair of strings of up to 2 characters from the alphabet, both ways round
    const words = [''];
    for (const x of alphabet) {
      words.push(x);
      for (const y of alphabet) words.push(x + y);
    }
    for (const a of words) {
      for (const b of words)
        expect(sameText(a, b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(reference(a, b));
    }
  });
});
