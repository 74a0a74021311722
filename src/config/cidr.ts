/** CIDR parsing and a precompiled peer-address matcher for `trustedProxies` (IPv4, IPv6, IPv4-mapped IPv6). */

/** A parsed CIDR block: the network (host bits cleared) as 32-bit words, and its prefix length. */
export interface Cidr {
  readonly family: 4 | 6;
  /** One word for IPv4, four (most significant first) for IPv6; host bits already cleared. */
  readonly words: readonly number[];
  readonly prefix: number;
  /** Canonical text, e.g. `10.0.0.0/8`, `2001:db8::/32`. */
  readonly text: string;
  /** True when the input had bits set below the prefix (e.g. `10.0.0.1/8`); `words` are masked anyway. */
  readonly hostBitsSet: boolean;
}

/** Result of parseCidr: the block, or why the text is not one. */
export type ParsedCidr = { readonly ok: true; readonly cidr: Cidr } | { readonly ok: false; readonly reason: string };

/** Parses `a.b.c.d`, `a.b.c.d/n`, an IPv6 address, or `ipv6/n`. A bare address is a /32 or /128. */
export function parseCidr(text: string): ParsedCidr {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const family = addr.includes(':') ? 6 : 4;
  const max = family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return { ok: false, reason: 'the prefix length must be a decimal number' };
    prefix = Number(p);
    if (prefix > max) return { ok: false, reason: `the prefix length must be 0-${max} for IPv${family}, got ${prefix}` };
  }
  const words: number[] = [];
  if (family === 4) {
    const a = parseV4(addr, 0, addr.length);
    if (a < 0) return { ok: false, reason: 'not an IPv4 address (four decimal octets 0-255, no leading zeros)' };
    words.push(a);
  } else {
    const groups = new Uint16Array(8);
    if (!parseV6(addr, addr.length, groups)) return { ok: false, reason: 'not an IPv6 address' };
    words.push(...toWords(groups));
  }
  const masked = words.map((w, i) => (w & maskWord(prefix - 32 * i)) >>> 0);
  const hostBitsSet = masked.some((w, i) => w !== words[i]);
  const addrText = family === 4 ? formatV4(masked[0] ?? 0) : formatV6(masked);
  return { ok: true, cidr: { family, words: masked, prefix, text: `${addrText}/${prefix}`, hostBitsSet } };
}

/**
 * Compiles CIDR strings into a matcher `(ip) => boolean`. Throws a TypeError on an invalid CIDR
 * (config validation rejects those first). The matcher never throws: garbage input is simply no match.
 */
export function compileCidrs(list: readonly string[]): (ip: string) => boolean {
  const v4: number[] = [];
  const v6: number[] = [];
  for (const text of list) {
    const parsed = parseCidr(text);
    if (!parsed.ok) throw new TypeError(`invalid CIDR ${JSON.stringify(text)}: ${parsed.reason}`);
    const { cidr } = parsed;
    const target = cidr.family === 4 ? v4 : v6;
    cidr.words.forEach((w, i) => target.push(w, maskWord(cidr.prefix - 32 * i)));
  }
  const nets4 = Uint32Array.from(v4);
  const nets6 = Uint32Array.from(v6);
  // Scratch buffers, reused on every call: JS runs this synchronously, so no two calls share them at once.
  const groups = new Uint16Array(8);
  const words = new Uint32Array(4);
  const matchV4 = (a: number): boolean => {
    for (let i = 0; i < nets4.length; i += 2) if (((a & (nets4[i + 1] ?? 0)) >>> 0) === nets4[i]) return true;
    return false;
  };
  const matchV6 = (): boolean => {
    outer: for (let i = 0; i < nets6.length; i += 8) {
      for (let k = 0; k < 4; k++) {
        if (((words[k]! & nets6[i + 2 * k + 1]!) >>> 0) !== nets6[i + 2 * k]) continue outer;
      }
      return true;
    }
    return false;
  };
  return (ip: string): boolean => {
    if (typeof ip !== 'string' || ip.length === 0 || ip.length > 64) return false;
    if (ip.indexOf(':') < 0) {
      const a = parseV4(ip, 0, ip.length);
      if (a < 0) return false;
      if (matchV4(a)) return true;
      if (nets6.length === 0) return false;
      words[0] = 0; words[1] = 0; words[2] = 0xffff; words[3] = a;
      return matchV6();
    }
    const zone = ip.indexOf('%'); // link-local peers may carry a zone id, e.g. fe80::1%eth0
    if (zone === ip.length - 1) return false;
    if (!parseV6(ip, zone < 0 ? ip.length : zone, groups)) return false;
    for (let k = 0; k < 4; k++) words[k] = ((groups[2 * k]! << 16) | groups[2 * k + 1]!) >>> 0;
    if (nets6.length > 0 && matchV6()) return true;
    // IPv4-mapped IPv6 (::ffff:a.b.c.d), as dual-stack sockets report IPv4 peers
    return words[0] === 0 && words[1] === 0 && words[2] === 0xffff && matchV4(words[3]!);
  };
}

/** Mask word for a block of 32 bits when `bits` of the prefix fall in it (clamped to 0..32). */
function maskWord(bits: number): number {
  if (bits <= 0) return 0;
  if (bits >= 32) return 0xffffffff;
  return (0xffffffff << (32 - bits)) >>> 0;
}

/** Parses dotted-quad IPv4 in s[start, end) to an unsigned 32-bit number, or -1. Rejects leading zeros (octal ambiguity). */
function parseV4(s: string, start: number, end: number): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return -1;
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + octet;
}

/** Value of a hex digit, or -1. */
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Parses IPv6 text in s[0, end) into 8 groups (RFC 4291 §2.2: `::` and a trailing dotted IPv4). */
function parseV6(s: string, end: number, out: Uint16Array): boolean {
  let i = 0;
  let n = 0;
  let gap = -1;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
  }
  while (i < end) {
    if (n === 8) return false;
    let j = i;
    let v = 0;
    for (let h = hexValue(s.charCodeAt(j)); j < end && h >= 0; h = hexValue(s.charCodeAt(++j))) v = v * 16 + h;
    if (j < end && s.charCodeAt(j) === 46) {
      const a = n <= 6 ? parseV4(s, i, end) : -1;
      if (a < 0) return false;
      out[n++] = a >>> 16;
      out[n++] = a & 0xffff;
      break;
    }
    if (j === i || j - i > 4) return false;
    out[n++] = v;
    if (j === end) break;
    if (s.charCodeAt(j) !== 58 || j + 1 === end) return false;
    i = j + 1;
    if (s.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = n;
      i++;
    }
  }
  if (gap < 0) return n === 8;
  if (n === 8) return false; // `::` stands for at least one zero group
  const tail = n - gap;
  for (let k = 0; k < tail; k++) out[7 - k] = out[n - 1 - k]!;
  for (let k = gap; k < 8 - tail; k++) out[k] = 0;
  return true;
}

/** Eight 16-bit groups to four 32-bit words. */
function toWords(groups: Uint16Array): number[] {
  const words: number[] = [];
  for (let k = 0; k < 4; k++) words.push(((groups[2 * k]! << 16) | groups[2 * k + 1]!) >>> 0);
  return words;
}

/** Dotted-quad text of an unsigned 32-bit number. */
function formatV4(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** RFC 5952 text of four 32-bit words: lowercase, no leading zeros, the longest run (≥ 2) of zero groups as `::`. */
function formatV6(words: readonly number[]): string {
  const g: number[] = [];
  for (const w of words) g.push(w >>> 16, w & 0xffff);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (a: number[]): string => a.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}
