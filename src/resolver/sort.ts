import dgram from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { rawClearInterval, rawSetInterval } from '../internal/timers.js';
import { familyOf } from './addresses.js';

// Destination address selection as glibc's getaddrinfo does it (RFC 3484 with glibc's default
// tables, /etc/gai.conf not read): Node's default "verbatim" order is this order, and it is why
// `localhost` gives ::1 before 127.0.0.1 when the hosts file has both.

/** `address` (of IP `family` 4 or 6) as 16 bytes, an IPv4 address mapped (::ffff:a.b.c.d). */
function toBytes(address: string, family: number): Uint8Array {
  const out = new Uint8Array(16);
  if (family === 4) {
    out[10] = 0xff; out[11] = 0xff;
    let at = 12, part = 0;
    for (let i = 0; i < address.length; i++) {
      const c = address.charCodeAt(i);
      if (c === 0x2e) { out[at++] = part; part = 0; } else part = part * 10 + c - 0x30;
    }
    out[at] = part;
    return out;
  }
  const [head = '', tail = ''] = address.replace(/%.*$/, '').split('::');
  const words = (s: string): number[] => {
    const ws: number[] = [];
    for (const w of s.split(':').filter(Boolean)) {
      if (w.includes('.')) { const b = w.split('.').map(Number); ws.push((b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!); } else ws.push(parseInt(w, 16));
    }
    return ws;
  };
  const h = words(head), t = address.includes('::') ? words(tail) : [];
  const all = [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
  all.forEach((w, i) => { out[2 * i] = w >> 8; out[2 * i + 1] = w & 0xff; });
  return out;
}

function prefixMatch(a: Uint8Array, b: Uint8Array): number {
  let bits = 0;
  for (let i = 0; i < 16; i++) {
    const x = a[i]! ^ b[i]!;
    if (x === 0) { bits += 8; continue; }
    return bits + Math.clz32(x) - 24;
  }
  return bits;
}

type Entry = [prefix: string, len: number, value: number];
const LABELS: Entry[] = [['::1', 128, 0], ['2002::', 16, 2], ['::', 96, 3], ['::ffff:0:0', 96, 4], ['fec0::', 10, 5], ['fc00::', 7, 6], ['2001::', 32, 7], ['::', 0, 1]];
const PRECEDENCE: Entry[] = [['::1', 128, 50], ['2002::', 16, 30], ['::', 96, 20], ['::ffff:0:0', 96, 10], ['::', 0, 40]];
const tables = [LABELS, PRECEDENCE].map((t) => t.map(([p, len, v]) => ({ bytes: toBytes(p, 6), len, v })));
const LOOPBACK6 = toBytes('::1', 6);
const classify = (bytes: Uint8Array, table: 0 | 1): number => tables[table]!.find((e) => prefixMatch(bytes, e.bytes) >= e.len)!.v;

function scope(family: number, bytes: Uint8Array): number {
  if (family === 4) return bytes[12] === 127 || (bytes[12] === 169 && bytes[13] === 254) ? 2 : 14;
  if (bytes[0] === 0xff) return bytes[1]! & 0x0f;
  if (bytes[0] === 0xfe && (bytes[1]! & 0xc0) === 0x80) return 2;
  if (bytes[0] === 0xfe && (bytes[1]! & 0xc0) === 0xc0) return 5;
  if (prefixMatch(bytes, LOOPBACK6) === 128) return 2;
  return 14;
}

// glibc connects a UDP socket to each destination and reads the source the kernel chose. A socket
// per probe cost about 120 µs of CPU in Node (create, bind, connect, close): more than the lookup
// itself when a fan-out's names each have an A and an AAAA address. One socket per family is
// connected, read and disconnected for probe after probe instead (a few µs each), and closed once
// idle for IDLE_MS.
const IDLE_MS = 1000;
// The destinations are addresses: no lookup, and the connect goes on without waiting for one.
// (dgram calls it with the family as a number, not the options its type declares.)
const literal = ((address: string, family: number, callback: (err: null, address: string, family: number) => void): void => {
  callback(null, address, family);
}) as unknown as dgram.SocketOptions['lookup'];

/** One family's probing socket, and the probes waiting for it. */
class SourceProbe {
  #socket: dgram.Socket | undefined = undefined;
  readonly #waiting: { address: string; resolve: (source: string | null) => void }[] = [];
  #busy = false;
  #usedAt = 0;
  #idleTimer: NodeJS.Timeout | undefined = undefined;
  /** Ends the probe under way (with null when its socket fails). */
  #current: ((source: string | null) => void) | undefined = undefined;

  readonly #nextProbe = (): void => this.#next();

  constructor(readonly type: 'udp4' | 'udp6') {}

  /** The source address the kernel would use to reach `address` (a UDP connect sends nothing), or null. */
  sourceFor(address: string): Promise<string | null> {
    return new Promise((resolve) => {
      this.#waiting.push({ address, resolve });
      if (!this.#busy) this.#next();
    });
  }

  #next(): void {
    const probe = this.#waiting.shift();
    this.#busy = probe !== undefined;
    if (probe === undefined) return;
    this.#usedAt = performance.now();
    let settled = false;
    const done = (source: string | null): void => {
      if (settled) return;
      settled = true;
      this.#current = undefined;
      probe.resolve(source);
      // On a later microtask: a socket that fails at once would otherwise recurse once per probe.
      queueMicrotask(this.#nextProbe);
    };
    this.#current = done;
    let socket: dgram.Socket | undefined;
    // A destination without a route fails the connect at once, and dgram builds an error for it
    // that nobody reads; its stack trace cost about as much as the failed connect itself (CPU
    // profile of a host with IPv6 addresses and no IPv6 route: one such probe per AAAA answer).
    const stackTraceLimit = Error.stackTraceLimit;
    let lowered = false;
    try {
      Error.stackTraceLimit = 0;
      lowered = true;
    } catch { /* frozen intrinsics: the errors keep their stacks */ }
    try {
      const s = socket = this.#socket ?? this.#open();
      s.connect(9, probe.address, (error?: Error) => {
        if (error !== undefined && error !== null) {
          done(null);
          return;
        }
        let source: string | null = null;
        try {
          source = s.address().address;
          s.disconnect();
        } catch {
          this.#discard(s);
        }
        // An unspecified source (0.0.0.0, ::) is no route: some kernels (gVisor) accept the connect
        // that Linux refuses with ENETUNREACH, and glibc (connecting to port 0) gets no source there.
        done(source === '0.0.0.0' || source === '::' ? null : source);
      });
    } catch {
      if (socket !== undefined) this.#discard(socket);
      done(null);
    } finally {
      if (lowered) Error.stackTraceLimit = stackTraceLimit;
    }
  }

  #open(): dgram.Socket {
    const socket = dgram.createSocket({ type: this.type, lookup: literal });
    // A socket that cannot be bound (no IPv6 in this kernel) fails the probe waiting for it.
    socket.on('error', () => {
      if (this.#socket !== socket) return;
      this.#discard(socket);
      this.#current?.(null);
    });
    socket.unref();
    this.#socket = socket;
    // The runtime's own interval: the socket serves every lookup's sort, so the timer that closes
    // it must not belong to the greenlet whose sort opened it (the timers patch would clear it).
    this.#idleTimer ??= rawSetInterval(() => {
      if (!this.#busy && performance.now() - this.#usedAt >= IDLE_MS && this.#socket !== undefined) this.#discard(this.#socket);
    }, IDLE_MS).unref();
    return socket;
  }

  #discard(socket: dgram.Socket): void {
    if (this.#socket === socket) this.#socket = undefined;
    if (this.#socket === undefined && this.#idleTimer !== undefined) {
      rawClearInterval(this.#idleTimer);
      this.#idleTimer = undefined;
    }
    try { socket.close(); } catch { /* closed already */ }
  }
}

/**
 * The prefix length glibc gives an IPv4 source: its interface's, looked up in the address list of
 * __check_pf, which exists only when the host has an IPv6 address other than ::1 (else 0). A
 * source on 127/8 is looked up as 127.0.0.1, as glibc does.
 */
function ipv4PrefixLen(source: string): number {
  const interfaces = Object.values(networkInterfaces());
  if (!interfaces.some((list) => list?.some((i) => i.family === 'IPv6' && i.address !== '::1'))) return 0;
  const wanted = source.startsWith('127.') ? '127.0.0.1' : source;
  for (const list of interfaces) {
    for (const i of list ?? []) if (i.address === wanted && i.cidr) return Number(i.cidr.split('/')[1]);
  }
  return 0;
}

const probes = { udp4: new SourceProbe('udp4'), udp6: new SourceProbe('udp6') };

/** What the order reads of a source address. */
interface Source { bytes: Uint8Array; scope: number; label: number; prefixLen: number }
// A few sources serve every destination: each is parsed, classified and given its prefix once (for
// a second: the interfaces may change).
let sources = new Map<string, Source>();
let sourcesAt = -Infinity;

function sourceInfo(source: string): Source {
  const now = performance.now();
  if (now - sourcesAt > 1000 || sources.size > 64) {
    sources = new Map();
    sourcesAt = now;
  }
  let info = sources.get(source);
  if (info === undefined) {
    const family = familyOf(source);
    const bytes = toBytes(source, family);
    info = { bytes, scope: scope(family, bytes), label: classify(bytes, 0), prefixLen: family === 4 ? ipv4PrefixLen(source) : 0 };
    sources.set(source, info);
  }
  return info;
}

/**
 * Orders addresses as glibc's getaddrinfo returns them. One address or none: returned as is.
 * `addresses` are valid IP addresses (c-ares' answers, the hosts file's checked ones, mapped IPv4).
 */
export async function sortAddresses(addresses: string[]): Promise<string[]> {
  if (addresses.length < 2) return addresses;
  const items = await Promise.all(addresses.map(async (address, index) => {
    const family = familyOf(address);
    const source = await probes[family === 6 ? 'udp6' : 'udp4'].sourceFor(address);
    const bytes = toBytes(address, family);
    const src = source === null ? null : sourceInfo(source);
    return {
      address, index, bytes, src: src === null ? null : src.bytes, family,
      scope: scope(family, bytes), srcScope: src === null ? -1 : src.scope,
      label: classify(bytes, 0), srcLabel: src === null ? -1 : src.label, prec: classify(bytes, 1),
      prefixLen: src === null ? 0 : src.prefixLen,
    };
  }));
  type Item = (typeof items)[number];
  const matchBits = (x: Item): number => {
    if (x.src === null) return 0;
    if (x.family === 6) return prefixMatch(x.src, x.bytes);
    const dst = Buffer.from(x.bytes.subarray(12)).readUInt32BE(0);
    const src = Buffer.from(x.src.subarray(12)).readUInt32BE(0);
    // glibc: `0xffffffff << (32 - prefixlen)`, whose shift by 32 (no prefix known) leaves every bit
    // set on x86, as JavaScript's shift does: then only a source equal to the destination matches.
    const mask = (0xffffffff << (32 - x.prefixLen)) >>> 0;
    // glibc's own fls() counts the leading bits that match (32 for equal addresses), and only
    // inside the source's subnet.
    return ((dst & mask) >>> 0) === ((src & mask) >>> 0) ? Math.clz32(dst ^ src) : 0;
  };
  items.sort((a, b) => {
    if ((a.src !== null) !== (b.src !== null)) return a.src !== null ? -1 : 1; // rule 1
    const am = a.scope === a.srcScope, bm = b.scope === b.srcScope; // rule 2
    if (am !== bm) return am ? -1 : 1;
    const al = a.label === a.srcLabel, bl = b.label === b.srcLabel; // rule 5
    if (al !== bl) return al ? -1 : 1;
    if (a.prec !== b.prec) return b.prec - a.prec; // rule 6
    if (a.scope !== b.scope) return a.scope - b.scope; // rule 8
    if (a.src !== null && a.family === b.family) { // rule 9
      const ab = matchBits(a), bb = matchBits(b);
      if (ab !== bb) return bb - ab;
    }
    return a.index - b.index; // rule 10
  });
  return items.map((x) => x.address);
}
