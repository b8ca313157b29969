// Telling IP literals from names on the lookup path. Node's `net.isIP` answers with regular
// expressions, and its IPv6 one is large: the first test of a process compiles it (4–7 ms), and
// on Node 20 every name ending in a digit runs it. These answer the same by scanning characters.

/**
 * The family of an address the resolver gave, so surely an IP: no full parse.
 */
export const familyOf = (address: string): 4 | 6 => (address.includes(':') ? 6 : 4);

/** Whether `text[from, to)` is a dotted quad: four decimal parts 0–255 without leading zeros. */
function isDottedQuad(text: string, from: number, to: number): boolean {
  let dots = 0, digits = 0, part = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || ++dots > 3) return false;
      digits = 0;
      part = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && part === 0) return false;
      part = part * 10 + c - 0x30;
      if (part > 255) return false;
      digits++;
    } else {
      return false;
    }
  }
  return dots === 3 && digits > 0;
}

const isHex = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);

/** A zone after `%`: one or more of `0-9 a-z A-Z . : -` (what Node accepts). */
function isZone(text: string, from: number): boolean {
  if (from >= text.length) return false;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x3a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x2e || c === 0x2d;
    if (!ok) return false;
  }
  return true;
}

/** Whether `text` is an IPv6 literal: eight groups, or fewer with one `::`, a dotted quad last, a zone. */
function isIPv6Text(text: string): boolean {
  let end = text.indexOf('%');
  if (end === -1) end = text.length;
  else if (!isZone(text, end + 1)) return false;
  let groups = 0;
  let compressed = false;
  let i = 0;
  if (text.charCodeAt(0) === 0x3a) {
    if (text.charCodeAt(1) !== 0x3a) return false;
    compressed = true;
    i = 2;
  }
  while (i < end) {
    let j = i;
    while (j < end && j - i < 5 && isHex(text.charCodeAt(j))) j++;
    if (j < end && text.charCodeAt(j) === 0x2e) {
      if (!isDottedQuad(text, i, end)) return false;
      groups += 2;
      break;
    }
    if (j === i || j - i > 4) return false;
    groups++;
    if (j === end) break;
    if (text.charCodeAt(j) !== 0x3a) return false;
    if (text.charCodeAt(j + 1) === 0x3a) {
      if (compressed) return false;
      compressed = true;
      i = j + 2;
    } else {
      i = j + 1;
      if (i === end) return false;
    }
  }
  return compressed ? groups <= 7 : groups === 8;
}

/**
 * `net.isIP(text)` for a string: 4 for a dotted quad, 6 for an IPv6 literal (a zone after `%`
 * allowed), 0 for anything else, as Node decides it.
 */
export function ipFamily(text: string): 0 | 4 | 6 {
  if (text.includes(':')) return isIPv6Text(text) ? 6 : 0;
  return isDottedQuad(text, 0, text.length) ? 4 : 0;
}

/**
 * inet_pton's answer for `text`, as glibc reads the hosts file's addresses: `ipFamily`'s, except
 * that an IPv6 literal with a zone (`fe80::1%eth0`) is no address (glibc skips such a line).
 */
export function ptonFamily(text: string): 0 | 4 | 6 {
  return text.includes('%') ? 0 : ipFamily(text);
}

/** The largest value of the last part of an inet_aton address after 0, 1, 2 or 3 dotted parts. */
const LAST_PART_MAX = [0xffffffff, 0xffffff, 0xffff, 0xff];

/**
 * The dotted quad glibc's `inet_aton` reads in `text` (exactly: nothing may follow), or undefined.
 * getaddrinfo takes these as IPv4 addresses before any lookup: `127.1`, `2130706433`, `0x7f000001`
 * and `0177.0.0.1` are all 127.0.0.1. Each of one to four parts is a C number (decimal, `0x` hex,
 * leading-zero octal); the last one fills the bytes the others left.
 */
export function inetAton(text: string): string | undefined {
  // Most names start with a letter: nothing to read (and nothing allocated) for them.
  const first = text.charCodeAt(0);
  if (!(first >= 0x30 && first <= 0x39)) return undefined;
  const bytes: number[] = [];
  let i = 0;
  let value: number;
  for (;;) {
    const c = text.charCodeAt(i);
    if (!(c >= 0x30 && c <= 0x39)) return undefined;
    let base = 10;
    if (c === 0x30) {
      // strtoul: `0x` is hex only when a hex digit follows; else the part is 0 and the `x` is left over.
      if ((text.charCodeAt(i + 1) | 0x20) === 0x78 && isHex(text.charCodeAt(i + 2))) {
        base = 16;
        i += 2;
      } else base = 8;
    }
    value = 0;
    for (;; i++) {
      const d = text.charCodeAt(i);
      let digit: number;
      if (d >= 0x30 && d <= 0x39) digit = d - 0x30;
      else if (base === 16 && isHex(d)) digit = (d | 0x20) - 0x61 + 10;
      else break;
      if (digit >= base) break;
      value = value * base + digit;
      if (value > 0xffffffff) return undefined;
    }
    if (text.charCodeAt(i) !== 0x2e) break;
    if (bytes.length > 2 || value > 0xff) return undefined;
    bytes.push(value);
    i++;
  }
  if (i !== text.length || value > LAST_PART_MAX[bytes.length]!) return undefined;
  const parts = bytes.length;
  for (let k = 3; k >= parts; k--) {
    bytes[k] = value % 256;
    value = Math.floor(value / 256);
  }
  return bytes.join('.');
}

/**
 * An address as getaddrinfo's caller sees it once Node formats it (libuv's inet_ntop): an IPv6
 * address in lower case with its longest run of zero groups as `::`, and an IPv4 address mapped
 * or embedded in IPv6 written dotted (`::ffff:10.0.0.1`). `address` is one inet_pton reads, as
 * the hosts file gives it (`0:0::1`, `::FFFF:a00:1`).
 */
export function canonicalAddress(address: string): string {
  if (!address.includes(':')) return address;
  // WHATWG URL parses every spelling (a dotted tail too) and writes the groups in hex.
  const [head = '', tail] = new URL(`http://[${address}]`).hostname.slice(1, -1).split('::');
  const groups = (text: string | undefined): number[] => (text ? text.split(':').map((g) => parseInt(g, 16)) : []);
  const before = groups(head), after = groups(tail);
  const words = [...before, ...new Array<number>(8 - before.length - after.length).fill(0), ...after];
  let bestAt = -1, bestLength = 0;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) { bestAt = i; bestLength = j - i; }
    i = j;
  }
  if (bestLength < 2) bestAt = -1;
  let text = '';
  for (let i = 0; i < 8; i++) {
    if (bestAt !== -1 && i >= bestAt && i < bestAt + bestLength) {
      if (i === bestAt) text += ':';
      continue;
    }
    if (i !== 0) text += ':';
    if (i === 6 && bestAt === 0 && (bestLength === 6 || (bestLength === 5 && words[5] === 0xffff))) {
      text += `${words[6]! >> 8}.${words[6]! & 255}.${words[7]! >> 8}.${words[7]! & 255}`;
      return text;
    }
    text += words[i]!.toString(16);
  }
  if (bestAt !== -1 && bestAt + bestLength === 8) text += ':';
  return text;
}

/**
 * What glibc's `files` source makes of a hosts-file address (see `canonicalAddress`) for an IPv4
 * lookup: an IPv4 address as it is, the IPv6 loopback as 127.0.0.1, a v4-mapped address as its
 * IPv4 address; undefined for any other IPv6 address (the line is no IPv4 one).
 */
export function hostsInet4(address: string): string | undefined {
  if (!address.includes(':')) return address;
  if (address === '::1') return '127.0.0.1';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : undefined;
}
