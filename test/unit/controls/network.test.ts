import { describe, expect, it } from 'vitest';
import {
  type Cidr,
  cidrContains,
  classifySource,
  hasPortOutside,
  isPublicCidr,
  lastAddress,
  mergePortRanges,
  NON_PUBLIC_IPV4,
  type PortRange,
  parseCidr,
  parsePortList,
  parsePortRange,
  rangesIntersect,
} from '../../../lib/controls/network.js';
import { seededRandom } from '../../../lib/dev/random.js';

const int = (random: () => number, min: number, max: number) => min + Math.floor(random() * (max - min + 1));

// ---- brute-force IPv4 reference, plain numbers, no shared code with the implementation ----
const dotted = (n: number) => [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join('.');
const reserved = NON_PUBLIC_IPV4.map((text) => {
  const [address = '', length = '32'] = text.split('/');
  const base = address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
  return { from: base, to: base + 2 ** (32 - Number(length)) - 1 };
});
const isReservedAddress = (n: number) => reserved.some((r) => n >= r.from && n <= r.to);
/** Every reserved range is /24 or coarser, so checking each /24 block's first address decides. */
function refIsPublicV4(base: number, length: number): boolean {
  const size = 2 ** (32 - length);
  const step = Math.min(size, 256);
  for (let address = base; address < base + size; address += step)
    if (!isReservedAddress(address)) return true;
  return false;
}
const INTERESTING = [
  '10.1.2.3',
  '172.20.0.0',
  '172.32.0.1',
  '192.168.9.9',
  '100.64.1.1',
  '100.128.0.1',
  '52.1.2.3',
  '8.8.8.8',
  '198.18.0.1',
  '198.20.0.1',
  '224.0.0.1',
  '240.1.1.1',
  '255.255.255.255',
  '169.254.1.1',
  '0.1.2.3',
  '127.0.0.1',
  '203.0.113.7',
  '1.1.1.1',
];

describe('parseCidr / isPublicCidr (IPv4, property)', () => {
  const random = seededRandom(0xd1f7);
  const samples = Array.from({ length: 400 }, () => {
    const seed =
      random() < 0.5
        ? INTERESTING[int(random, 0, INTERESTING.length - 1)]
        : dotted(int(random, 0, 2 ** 32 - 1));
    return { address: seed as string, length: int(random, 8, 32) };
  });

  it('clears host bits and classifies like the brute-force reference', () => {
    for (const { address, length } of samples) {
      const cidr = parseCidr(`${address}/${length}`);
      const value = address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
      const base = value - (value % 2 ** (32 - length));
      expect(cidr, `${address}/${length}`).not.toBeNull();
      expect(Number(cidr?.network)).toBe(base);
      expect(Number(lastAddress(cidr as Cidr))).toBe(base + 2 ** (32 - length) - 1);
      expect(isPublicCidr(cidr as Cidr), `${address}/${length}`).toBe(refIsPublicV4(base, length));
    }
  });

  it('containment agrees with interval arithmetic', () => {
    for (let i = 0; i + 1 < samples.length; i += 2) {
      const a = parseCidr(`${samples[i]?.address}/${samples[i]?.length}`) as Cidr;
      const b = parseCidr(`${samples[i + 1]?.address}/${samples[i + 1]?.length}`) as Cidr;
      for (const [outer, inner] of [
        [a, b],
        [b, a],
        [a, a],
      ] as const) {
        const expected = outer.network <= inner.network && lastAddress(inner) <= lastAddress(outer);
        expect(cidrContains(outer, inner)).toBe(expected);
      }
    }
  });

  it('rejects what is not an IPv4 prefix', () => {
    for (const text of [
      '256.0.0.0/8',
      '10.0.0/8',
      '10.0.0.0/33',
      '10.0.0.0/',
      '01.2.3.4',
      '1.2.3.4/08',
      '1.2.3.4 /8',
      'a.b.c.d',
      '',
    ]) {
      expect(parseCidr(text), text).toBeNull();
    }
    expect(parseCidr('10.1.2.3')).toEqual({ version: 4, network: 0x0a010203n, prefixLength: 32 });
  });
});

describe('parseCidr (IPv6, property)', () => {
  it('parses random addresses in full and compressed form to the same value', () => {
    const random = seededRandom(6);
    for (let i = 0; i < 300; i++) {
      // Runs of zero groups make compression interesting.
      const groups = Array.from({ length: 8 }, () => (random() < 0.4 ? 0 : int(random, 0, 0xffff)));
      const value = groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
      const full = groups.map((g) => g.toString(16)).join(':');
      let best = { start: -1, length: 0 };
      for (let start = 0; start < 8; start++) {
        let length = 0;
        while (start + length < 8 && groups[start + length] === 0) length++;
        if (length > best.length) best = { start, length };
      }
      const hex = groups.map((g) => g.toString(16));
      const compressed =
        best.length >= 2
          ? `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`
          : full;
      const length = int(random, 0, 128);
      const mask = ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - length)) - 1n);
      for (const text of [full, compressed.toUpperCase()]) {
        expect(parseCidr(`${text}/${length}`), text).toEqual({
          version: 6,
          network: value & mask,
          prefixLength: length,
        });
      }
    }
  });

  it('rejects malformed IPv6', () => {
    for (const text of ['1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', '::/129', 'g::1', ':::'])
      expect(parseCidr(text), text).toBeNull();
    expect(parseCidr('::ffff:10.0.0.1')?.network).toBe(0xffff0a000001n);
  });

  it.each([
    ['::/0', true],
    ['2000::/3', true],
    ['2a00::/12', true],
    ['2001:db8::/32', false],
    ['fd00::/8', false],
    ['fe80::/10', false],
    ['ff00::/8', false],
    ['::1/128', false],
    ['::ffff:10.0.0.0/104', false],
    ['::ffff:52.0.0.0/104', true],
    ['::/80', true], // contains the whole IPv4-mapped block
  ])('%s public=%s', (text, expected) => {
    expect(isPublicCidr(parseCidr(text) as Cidr)).toBe(expected);
  });
});

describe('classifySource', () => {
  it.each([
    ['*', 'internet'],
    ['Internet', 'internet'],
    ['INTERNET', 'internet'],
    ['any', 'internet'],
    ['0.0.0.0/0', 'internet'],
    ['::/0', 'internet'],
    ['52.0.0.0/8', 'internet'],
    ['52.10.0.0/16', 'internet'],
    ['52.10.0.0/17', 'not-internet'],
    ['52.1.2.3/32', 'not-internet'],
    ['52.1.2.3', 'not-internet'],
    ['10.0.0.0/8', 'not-internet'],
    ['0.0.0.0/1', 'internet'], // mostly public despite containing 10/8
    ['2a00::/12', 'internet'],
    ['2a00:1450::/32', 'internet'], // IPv6 threshold is /48 for the default /16
    ['2a00:1450:4001::/56', 'not-internet'],
    ['VirtualNetwork', 'not-internet'],
    ['AzureLoadBalancer', 'not-internet'],
    ['Storage.WestEurope', 'not-internet'],
    ['10.0.0.1-10.0.0.9', 'invalid'],
    ['1.2.3.4/40', 'invalid'],
    ['', 'invalid'],
  ])('%s → %s', (source, expected) => {
    expect(classifySource(source, 16)).toBe(expected);
  });

  it('treats public prefixes as internet exactly up to the threshold (property)', () => {
    const random = seededRandom(16);
    for (let i = 0; i < 300; i++) {
      const threshold = int(random, 0, 32);
      const length = int(random, 0, 32);
      const address = dotted(int(random, 1, 9) * 2 ** 24 + int(random, 0, 2 ** 24 - 1)); // 1.x-9.x: public
      const expected = length <= threshold ? 'internet' : 'not-internet';
      expect(classifySource(`${address}/${length}`, threshold), `${address}/${length} t=${threshold}`).toBe(
        expected,
      );
    }
  });
});

// ---- ports: bitset reference over the whole 0..65535 space ----
function bits(ranges: readonly PortRange[]): Uint8Array {
  const set = new Uint8Array(65536);
  for (const r of ranges) set.fill(1, r.from, r.to + 1);
  return set;
}
function randomRanges(random: () => number, count: number): PortRange[] {
  return Array.from({ length: count }, () => {
    const from = random() < 0.3 ? int(random, 0, 40) : int(random, 0, 65535);
    const to = random() < 0.5 ? from : Math.min(65535, from + int(random, 0, random() < 0.2 ? 65535 : 30));
    return { from, to };
  });
}

describe('port helpers (property)', () => {
  const random = seededRandom(22);

  it('parsePortRange round-trips formatted ranges and parsePortList splits commas', () => {
    for (let i = 0; i < 300; i++) {
      const [range] = randomRanges(random, 1) as [PortRange];
      const text = range.from === range.to ? `${range.from}` : `${range.from}-${range.to}`;
      expect(parsePortRange(text)).toEqual(range);
      expect(parsePortRange(` ${text} `)).toEqual(range);
    }
    expect(parsePortRange('*')).toEqual({ from: 0, to: 65535 });
    expect(parsePortList(['22,3389', '5985-5986'])).toEqual([
      { from: 22, to: 22 },
      { from: 3389, to: 3389 },
      { from: 5985, to: 5986 },
    ]);
    for (const bad of ['65536', '30-20', '-1', '1-', 'ssh', '22.5', '0x16', '1--2', ''])
      expect(parsePortRange(bad), bad).toBeNull();
    expect(parsePortList(['22', 'nope'])).toBeNull();
  });

  it('merge, intersect and "port outside" agree with a bitset', () => {
    for (let i = 0; i < 300; i++) {
      const a = randomRanges(random, int(random, 1, 5));
      const b = randomRanges(random, int(random, 0, 6));
      const setA = bits(a);
      const setB = bits(b);
      const merged = mergePortRanges(a);
      // Buffer.equals, not toEqual: deep-diffing 65,536 elements is slow.
      expect(Buffer.from(bits(merged)).equals(Buffer.from(setA))).toBe(true);
      for (let k = 1; k < merged.length; k++) {
        expect((merged[k] as PortRange).from).toBeGreaterThan((merged[k - 1] as PortRange).to + 1);
      }
      let intersects = false;
      let outside = false;
      for (let port = 0; port < 65536; port++) {
        if (setA[port] && setB[port]) intersects = true;
        if (setA[port] && !setB[port]) outside = true;
      }
      expect(rangesIntersect(a, b)).toBe(intersects);
      expect(hasPortOutside(a, b)).toBe(outside);
    }
  });
});
