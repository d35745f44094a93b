/**
 * Pure NSG semantics: CIDR math (IPv4 + IPv6), port ranges, protocols, and the two questions the
 * NSG controls ask — "is this source the internet?" and "does this rule reach that port?".
 * Strings are compared by meaning, not spelling: `*`, `Internet`, `0.0.0.0/0` and `52.0.0.0/8`
 * are all the internet (Cloud Custodian's string comparison misses the last one).
 */

export interface Cidr {
  version: 4 | 6;
  /** first address of the prefix (host bits cleared) */
  network: bigint;
  prefixLength: number;
}

export interface PortRange {
  from: number;
  to: number;
}

const V4_BITS = 32;
const V6_BITS = 128;
const IPV4_PART = /^(0|[1-9]\d{0,2})$/;
const IPV6_GROUP = /^[0-9a-f]{1,4}$/i;
const MAX_PREFIX_TEXT = 64; // longest textual IPv6 prefix is ~49 chars; anything longer is not a prefix

function bitsOf(version: 4 | 6): number {
  return version === 4 ? V4_BITS : V6_BITS;
}

function parseIpv4(text: string): bigint | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!IPV4_PART.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

function parseIpv6(text: string): bigint | null {
  let head = text;
  let tailV4: bigint | null = null;
  // Embedded IPv4 in the last 32 bits, e.g. ::ffff:10.0.0.1
  const lastColon = text.lastIndexOf(':');
  if (lastColon >= 0 && text.includes('.', lastColon)) {
    tailV4 = parseIpv4(text.slice(lastColon + 1));
    if (tailV4 === null) return null;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const split = (half: string): string[] | null => (half === '' ? [] : half.split(':'));
  const left = split(halves[0] ?? '');
  const right = halves.length === 2 ? split(halves[1] ?? '') : [];
  if (!left || !right) return null;
  const groups = left.length + right.length;
  if (halves.length === 2 ? groups > 7 : groups !== 8) return null;
  const all = [...left, ...Array<string>(8 - groups).fill('0'), ...right];
  let value = 0n;
  for (const group of all) {
    if (!IPV6_GROUP.test(group)) return null;
    value = (value << 16n) | BigInt(Number.parseInt(group, 16));
  }
  if (tailV4 !== null) value = (value & ~0xffffffffn) | tailV4;
  return value;
}

/**
 * Parses `a.b.c.d[/n]` or an IPv6 address `[/n]`. A bare address is a /32 (/128). Host bits are
 * cleared rather than rejected, because ARM normalises them the same way. Returns null for
 * anything that is not an IP prefix (service tags, `*`, garbage).
 */
export function parseCidr(text: string): Cidr | null {
  if (text.length === 0 || text.length > MAX_PREFIX_TEXT) return null;
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const lengthText = slash < 0 ? null : text.slice(slash + 1);
  const version: 4 | 6 = address.includes(':') ? 6 : 4;
  const value = version === 4 ? parseIpv4(address) : parseIpv6(address);
  if (value === null) return null;
  const bits = bitsOf(version);
  let prefixLength = bits;
  if (lengthText !== null) {
    if (!/^(0|[1-9]\d{0,2})$/.test(lengthText)) return null;
    prefixLength = Number(lengthText);
    if (prefixLength > bits) return null;
  }
  return { version, network: value & maskOf(bits, prefixLength), prefixLength };
}

function maskOf(bits: number, prefixLength: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return all ^ ((1n << BigInt(bits - prefixLength)) - 1n);
}

/** Last address of the prefix. */
export function lastAddress(cidr: Cidr): bigint {
  return cidr.network | ((1n << BigInt(bitsOf(cidr.version) - cidr.prefixLength)) - 1n);
}

/** True when `inner` lies entirely inside `outer` (same family). */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return (
    outer.version === inner.version &&
    outer.prefixLength <= inner.prefixLength &&
    (inner.network & maskOf(bitsOf(outer.version), outer.prefixLength)) === outer.network
  );
}

interface Interval {
  from: bigint;
  to: bigint;
}

function mergedIntervals(prefixes: string[]): Interval[] {
  const intervals = prefixes
    .map((text) => {
      const cidr = parseCidr(text);
      if (!cidr) throw new Error(`bad built-in prefix ${text}`);
      return { from: cidr.network, to: lastAddress(cidr) };
    })
    .sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  const merged: Interval[] = [];
  for (const interval of intervals) {
    const last = merged.at(-1);
    if (last && interval.from <= last.to + 1n) {
      if (interval.to > last.to) last.to = interval.to;
    } else {
      merged.push({ ...interval });
    }
  }
  return merged;
}

/**
 * IPv4 space that is not reachable from the public internet (RFC 6890 special-purpose registry:
 * private, shared CGNAT, loopback, link-local, documentation, benchmarking, multicast, reserved).
 */
export const NON_PUBLIC_IPV4 = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
] as const;

/**
 * IPv6 space outside global unicast 2000::/3, plus documentation ranges inside it. IPv4-mapped
 * addresses (::ffff:0:0/96) are classified by their IPv4 part instead (see isPublicCidr).
 */
export const NON_PUBLIC_IPV6 = ['::/3', '4000::/2', '8000::/1', '2001:db8::/32', '3fff::/20'] as const;

const NON_PUBLIC_V4_INTERVALS = mergedIntervals([...NON_PUBLIC_IPV4]);
const NON_PUBLIC_V6_INTERVALS = mergedIntervals([...NON_PUBLIC_IPV6]);
const V4_MAPPED = parseCidr('::ffff:0:0/96') as Cidr;

function coveredBy(intervals: Interval[], from: bigint, to: bigint): boolean {
  for (const interval of intervals) {
    if (interval.from <= from && to <= interval.to) return true;
    if (interval.from > from) return false;
  }
  return false;
}

/** True when the prefix contains at least one publicly routable address. */
export function isPublicCidr(cidr: Cidr): boolean {
  if (cidr.version === 4) return !coveredBy(NON_PUBLIC_V4_INTERVALS, cidr.network, lastAddress(cidr));
  if (cidrContains(V4_MAPPED, cidr)) {
    return isPublicCidr({
      version: 4,
      network: cidr.network & 0xffffffffn,
      prefixLength: cidr.prefixLength - 96,
    });
  }
  // A prefix wide enough to contain the whole mapped block contains public IPv4-mapped addresses.
  if (cidrContains(cidr, V4_MAPPED)) return true;
  return !coveredBy(NON_PUBLIC_V6_INTERVALS, cidr.network, lastAddress(cidr));
}

/**
 * IPv6 threshold derived from the IPv4 one: the usual equivalence is one IPv4 address ≈ one IPv6
 * /64, so IPv4 /16 ≈ IPv6 /48. Using /16 literally for IPv6 would let a whole ISP (/32) through.
 */
export function ipv6PrefixMaxLength(ipv4PrefixMaxLength: number): number {
  return Math.min(V6_BITS, ipv4PrefixMaxLength + 32);
}

/** Address words that mean "anywhere" in an NSG rule (compared case-insensitively). */
const ANYWHERE = new Set(['*', 'internet', 'any', '0.0.0.0/0', '::/0']);
/** Service tags look like `VirtualNetwork`, `AzureLoadBalancer`, `Storage.WestEurope`, `AzureCloud.eastus2`. */
const SERVICE_TAG = /^[A-Za-z][A-Za-z0-9_.-]{0,127}$/;

export type SourceClass = 'internet' | 'not-internet' | 'invalid';

/**
 * Classifies one source address prefix of a rule. Service tags other than Internet/Any are not
 * internet: they name Azure-controlled address sets (VirtualNetwork, AzureLoadBalancer, ...).
 */
export function classifySource(source: string, ipv4PrefixMaxLength: number): SourceClass {
  // Estates repeat the same few prefixes across thousands of rules: memoise (bounded).
  const memo = memoFor(ipv4PrefixMaxLength);
  let result = memo.get(source);
  if (result === undefined) {
    result = classifyUncached(source, ipv4PrefixMaxLength);
    if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(source, result);
  }
  return result;
}

const MEMO_LIMIT = 50_000;
const sourceMemo = new Map<number, Map<string, SourceClass>>();
// normalisation validates with one threshold, evaluation judges with another: keep the last one at hand
let lastMemo: { threshold: number; memo: Map<string, SourceClass> } | null = null;

function memoFor(threshold: number): Map<string, SourceClass> {
  if (lastMemo?.threshold === threshold) return lastMemo.memo;
  let memo = sourceMemo.get(threshold);
  if (!memo) {
    memo = new Map();
    sourceMemo.set(threshold, memo);
  }
  lastMemo = { threshold, memo };
  return memo;
}

function classifyUncached(source: string, ipv4PrefixMaxLength: number): SourceClass {
  const text = source.trim();
  if (ANYWHERE.has(text.toLowerCase())) return 'internet';
  const cidr = parseCidr(text);
  if (cidr) {
    const threshold = cidr.version === 4 ? ipv4PrefixMaxLength : ipv6PrefixMaxLength(ipv4PrefixMaxLength);
    return isPublicCidr(cidr) && cidr.prefixLength <= threshold ? 'internet' : 'not-internet';
  }
  if (SERVICE_TAG.test(text)) return 'not-internet';
  return 'invalid';
}

const PORT = /^(0|[1-9]\d{0,4})$/;
const MAX_PORT = 65535;

function parsePort(text: string): number | null {
  if (!PORT.test(text)) return null;
  const port = Number(text);
  return port <= MAX_PORT ? port : null;
}

/** Parses `*`, `22`, `20-30` (whitespace tolerated). Null when not a valid range. */
export function parsePortRange(text: string): PortRange | null {
  const trimmed = text.trim();
  if (trimmed === '*') return { from: 0, to: MAX_PORT };
  if (trimmed.length > 16) return null;
  const dash = trimmed.indexOf('-');
  if (dash < 0) {
    const port = parsePort(trimmed);
    return port === null ? null : { from: port, to: port };
  }
  const from = parsePort(trimmed.slice(0, dash).trim());
  const to = parsePort(trimmed.slice(dash + 1).trim());
  if (from === null || to === null || from > to) return null;
  return { from, to };
}

/**
 * Parses a list of port specs; an element may itself be comma-separated (`"22,3389"`, as the
 * DW_MANAGEMENT_PORTS setting is). Null when any element is invalid.
 */
export function parsePortList(specs: readonly string[]): PortRange[] | null {
  const ranges: PortRange[] = [];
  for (const spec of specs) {
    const parsed = parsePortSpec(spec);
    if (parsed === null) return null;
    for (const range of parsed) ranges.push({ ...range });
  }
  return ranges;
}

/** True when `spec` is a valid port spec (`*`, `22`, `20-30`, or a comma-separated list of them). */
export function isPortSpec(spec: string): boolean {
  return parsePortSpec(spec) !== null;
}

/**
 * parsePortList for readers: the memoised ranges themselves (not copies) for the usual single
 * spec, so judging a rule allocates nothing. Callers must not modify them.
 */
export function portRangesOf(specs: readonly string[]): readonly PortRange[] | null {
  if (specs.length === 1) return parsePortSpec(specs[0] as string);
  return parsePortList(specs);
}

const portMemo = new Map<string, readonly PortRange[] | null>();

/** One spec, possibly comma-separated; memoised (bounded) because estates repeat them. */
function parsePortSpec(spec: string): readonly PortRange[] | null {
  const cached = portMemo.get(spec);
  if (cached !== undefined) return cached;
  let result: PortRange[] | null = [];
  for (const part of spec.split(',')) {
    if (part.trim() === '') continue;
    const range = parsePortRange(part);
    if (!range) {
      result = null;
      break;
    }
    result.push(range);
  }
  if (portMemo.size >= MEMO_LIMIT) portMemo.clear();
  portMemo.set(spec, result);
  return result;
}

/** Sorted, non-overlapping, non-adjacent ranges covering the same ports. */
export function mergePortRanges(ranges: readonly PortRange[]): PortRange[] {
  const sorted = [...ranges].sort((a, b) => a.from - b.from);
  const merged: PortRange[] = [];
  for (const range of sorted) {
    const last = merged.at(-1);
    if (last && range.from <= last.to + 1) last.to = Math.max(last.to, range.to);
    else merged.push({ ...range });
  }
  return merged;
}

export function isMerged(ranges: readonly PortRange[]): boolean {
  for (let i = 1; i < ranges.length; i++) {
    const previous = ranges[i - 1] as PortRange;
    if ((ranges[i] as PortRange).from <= previous.to + 1) return false;
  }
  return true;
}

export function rangesIntersect(a: readonly PortRange[], b: readonly PortRange[]): boolean {
  for (const x of a) {
    for (const y of b) {
      if (x.from <= y.to && y.from <= x.to) return true;
    }
  }
  return false;
}

/** True when `ranges` cover at least one port that is not in `covered`. */
export function hasPortOutside(ranges: readonly PortRange[], covered: readonly PortRange[]): boolean {
  const merged = isMerged(covered) ? covered : mergePortRanges(covered);
  for (const range of ranges) {
    let next = range.from; // first port of `range` not yet shown to be covered
    for (const c of merged) {
      if (c.to < next) continue;
      if (c.from > next) return true;
      next = c.to + 1;
      if (next > range.to) break;
    }
    if (next <= range.to) return true;
  }
  return false;
}

/** Protocols that carry TCP/UDP ports. ICMP, ESP, AH have none. */
export function protocolCarriesPorts(protocol: string): boolean {
  const p = protocol.trim().toLowerCase();
  return p === '*' || p === 'tcp' || p === 'udp';
}

/**
 * True for protocols without ports (Icmp, Esp, Ah, anything unknown). `*` is judged by its ports
 * only: a `* / 3389` rule is an RDP exposure, not also an ICMP one (see README, NSG semantics).
 */
export function isPortlessProtocol(protocol: string): boolean {
  const p = protocol.trim().toLowerCase();
  return p !== '*' && p !== 'tcp' && p !== 'udp';
}
