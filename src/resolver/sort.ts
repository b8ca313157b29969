import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

// Destination address selection as glibc's getaddrinfo does it (RFC 3484 with glibc's default
// tables, /etc/gai.conf not read): Node's default "verbatim" order is this order, and it is why
// `localhost` gives ::1 before 127.0.0.1 when the hosts file has both.

function toBytes(address: string): Uint8Array {
  const out = new Uint8Array(16);
  if (isIP(address) === 4) {
    out[10] = 0xff; out[11] = 0xff;
    address.split('.').forEach((part, i) => { out[12 + i] = Number(part); });
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
const tables = [LABELS, PRECEDENCE].map((t) => t.map(([p, len, v]) => ({ bytes: toBytes(p), len, v })));
const classify = (bytes: Uint8Array, table: 0 | 1): number => tables[table]!.find((e) => prefixMatch(bytes, e.bytes) >= e.len)!.v;

function scope(address: string, bytes: Uint8Array): number {
  if (isIP(address) === 4) return bytes[12] === 127 || (bytes[12] === 169 && bytes[13] === 254) ? 2 : 14;
  if (bytes[0] === 0xff) return bytes[1]! & 0x0f;
  if (bytes[0] === 0xfe && (bytes[1]! & 0xc0) === 0x80) return 2;
  if (bytes[0] === 0xfe && (bytes[1]! & 0xc0) === 0xc0) return 5;
  if (prefixMatch(bytes, toBytes('::1')) === 128) return 2;
  return 14;
}

/** The source address the kernel would use to reach `address` (a UDP connect sends nothing), or null. */
function sourceFor(address: string): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
    const done = (source: string | null): void => { socket.close(); resolve(source); };
    socket.on('error', () => done(null));
    socket.connect(9, address, () => {
      // An unspecified source (0.0.0.0, ::) is no route: some kernels (gVisor) accept the connect
      // that Linux refuses with ENETUNREACH, and glibc (connecting to port 0) gets no source there.
      try {
        const source = socket.address().address;
        done(source === '0.0.0.0' || source === '::' ? null : source);
      } catch { done(null); }
    });
  });
}

function ipv4PrefixLen(source: string): number {
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) if (i.address === source && i.cidr) return Number(i.cidr.split('/')[1]);
  }
  return 32;
}

/** Orders addresses as glibc's getaddrinfo returns them. One address or none: returned as is. */
export async function sortAddresses(addresses: string[]): Promise<string[]> {
  if (addresses.length < 2) return addresses;
  const items = await Promise.all(addresses.map(async (address, index) => {
    const source = await sourceFor(address);
    const bytes = toBytes(address);
    const src = source === null ? null : toBytes(source);
    return {
      address, index, bytes, src, family: isIP(address),
      scope: scope(address, bytes), srcScope: source === null ? -1 : scope(source, src!),
      label: classify(bytes, 0), srcLabel: src === null ? -1 : classify(src, 0), prec: classify(bytes, 1),
      prefixLen: source !== null && isIP(source) === 4 ? ipv4PrefixLen(source) : 0,
    };
  }));
  type Item = (typeof items)[number];
  const matchBits = (x: Item): number => {
    if (x.src === null) return 0;
    if (x.family === 6) return prefixMatch(x.src, x.bytes);
    const dst = Buffer.from(x.bytes.subarray(12)).readUInt32BE(0);
    const src = Buffer.from(x.src.subarray(12)).readUInt32BE(0);
    const mask = x.prefixLen === 0 ? 0 : (0xffffffff << (32 - x.prefixLen)) >>> 0;
    // glibc: fls(dst ^ src), and only inside the source's subnet.
    return ((dst & mask) >>> 0) === ((src & mask) >>> 0) ? 32 - Math.clz32(dst ^ src) : 0;
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
