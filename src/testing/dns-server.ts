import dgram from 'node:dgram';
import { isIP } from 'node:net';
import * as packet from 'dns-packet';
import { rawClearTimeout, rawSetTimeout } from '../internal/timers.js';
import { invalidArgType, outOfRange, secondsToMs } from '../internal/validate.js';

/** What the server knows about one name. */
export interface DnsRecord {
  /** IPv4 addresses answered to A queries. */
  A?: string[];
  /** IPv6 addresses answered to AAAA queries. */
  AAAA?: string[];
  /** An alias: A/AAAA queries are answered with the CNAME and the target's records. */
  CNAME?: string;
}

/** Options of `startDnsServer`. */
export interface DnsServerOptions {
  /** UDP port; 0 picks a free one. @default 0 */
  port?: number;
  /** Loopback address to bind (127.0.0.1 or ::1). @default '127.0.0.1' */
  host?: string;
  /** Name → records. Names are absolute, case-insensitive, with or without the trailing dot. */
  records?: Map<string, DnsRecord> | Record<string, DnsRecord>;
  /** Delay, in seconds, before each answer is sent. @default 0 */
  rtt?: number;
  /**
   * Names answered after their own delay, in seconds, instead of `rtt` (a recursive resolver's
   * cache misses): their answers come after those of names asked later.
   */
  slow?: Map<string, number> | Record<string, number>;
  /** Names whose queries are dropped: the client waits until its own timeout. */
  neverAnswer?: Iterable<string>;
  /**
   * Names whose first query is dropped, and those after it answered: questions lost in a burst
   * the server's socket overflowed with, while the questions sent after them are answered.
   */
  dropFirst?: Iterable<string>;
  /** Names answered with SERVFAIL; `name/A` or `name/AAAA` for that type only. */
  servfail?: Iterable<string>;
  /** Names answered with REFUSED; `name/A` or `name/AAAA` for that type only. */
  refused?: Iterable<string>;
  /** TTL of every answer, in seconds. @default 60 */
  ttl?: number;
  /**
   * Queries arriving while this many answers already wait for their delay are dropped, as a
   * server whose socket buffer is full drops them (models burst loss). @default Infinity
   */
  dropBeyond?: number;
}

/** A running server. Unknown names get NXDOMAIN; known names without the asked type get NODATA. */
export interface DnsServer {
  readonly port: number;
  readonly address: string;
  /** `overflowed`: queries dropped by `dropBeyond` (also counted in `dropped`). */
  readonly stats: { queries: number; answered: number; dropped: number; overflowed: number };
  /** Replaces or adds a name's records while the server runs. */
  set(name: string, record: DnsRecord): void;
  close(): Promise<void>;
}

const norm = (name: string): string => name.toLowerCase().replace(/\.$/, '');

/**
 * Starts a DNS server on loopback for tests, benchmarks and examples. Delayed answers wait in one
 * FIFO served by a single timer (the delay is the same for all), so 10,000 queries in flight cost
 * one timer, not 10,000; socket buffers are made as large as the kernel allows.
 *
 * @example
 * ```ts runnable
 * import dns from 'node:dns';
 * import { startDnsServer } from 'nodevent/testing';
 * const server = await startDnsServer({ records: { 'db.test': { A: ['127.0.0.1'] } }, rtt: 0.05 });
 * const resolver = new dns.promises.Resolver();
 * resolver.setServers([`127.0.0.1:${server.port}`]);
 * await server.close();
 * ```
 */
export async function startDnsServer(options: DnsServerOptions = {}): Promise<DnsServer> {
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  const host = options.host ?? '127.0.0.1';
  if (host !== '127.0.0.1' && host !== '::1') throw invalidArgType('options.host', "'127.0.0.1' or '::1'", host);
  const delayMs = secondsToMs(options.rtt ?? 0, 'options.rtt', false) ?? 0;
  const ttl = options.ttl ?? 60;
  const records = new Map<string, DnsRecord>();
  const source = options.records instanceof Map ? options.records : Object.entries(options.records ?? {});
  for (const [name, record] of source) records.set(norm(name), record);
  const never = new Set([...(options.neverAnswer ?? [])].map(norm));
  const dropFirst = new Set([...(options.dropFirst ?? [])].map(norm));
  const servfail = new Set([...(options.servfail ?? [])].map(norm));
  const refused = new Set([...(options.refused ?? [])].map(norm));
  const slow = new Map<string, number>();
  for (const [name, seconds] of options.slow instanceof Map ? options.slow : Object.entries(options.slow ?? {})) {
    slow.set(norm(name), secondsToMs(seconds, `options.slow['${name}']`, false) ?? 0);
  }
  const slowTimers = new Set<NodeJS.Timeout>();
  const stats = { queries: 0, answered: 0, dropped: 0, overflowed: 0 };
  const dropBeyond = options.dropBeyond ?? Infinity;
  if (typeof dropBeyond !== 'number') throw invalidArgType('options.dropBeyond', 'of type number', dropBeyond);
  if (!(dropBeyond >= 0)) throw outOfRange('options.dropBeyond', '>= 0', dropBeyond);

  const socket = dgram.createSocket({ type: isIP(host) === 6 ? 'udp6' : 'udp4', recvBufferSize: 1 << 26, sendBufferSize: 1 << 26 });
  // Answers due later, in due order (one delay for all, so arrival order is due order).
  const due: { at: number; buf: Buffer; port: number; address: string }[] = [];
  let head = 0;
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    timer = undefined;
    const now = performance.now();
    while (head < due.length && due[head]!.at <= now + 0.5) {
      const item = due[head++]!;
      socket.send(item.buf, item.port, item.address);
    }
    if (head === due.length) { due.length = 0; head = 0; } else arm();
  };
  const arm = (): void => {
    if (timer === undefined && head < due.length) timer = rawSetTimeout(flush, Math.max(0, due[head]!.at - performance.now()));
  };

  socket.on('message', (msg, rinfo) => {
    stats.queries++;
    if (due.length - head >= dropBeyond) { stats.dropped++; stats.overflowed++; return; }
    let query: packet.Packet;
    try {
      query = packet.decode(msg);
    } catch {
      stats.dropped++;
      return;
    }
    const question = query.questions?.[0];
    if (question === undefined) { stats.dropped++; return; }
    const name = norm(question.name);
    if (never.has(name) || dropFirst.delete(name)) { stats.dropped++; return; }
    const reply = answer(query, question, name);
    const buf = packet.encode(reply);
    stats.answered++;
    const own = slow.get(name);
    if (own !== undefined) {
      const timer = rawSetTimeout(() => { slowTimers.delete(timer); socket.send(buf, rinfo.port, rinfo.address); }, own);
      slowTimers.add(timer);
    } else if (delayMs === 0) socket.send(buf, rinfo.port, rinfo.address);
    else { due.push({ at: performance.now() + delayMs, buf, port: rinfo.port, address: rinfo.address }); arm(); }
  });
  // A client gone away (ICMP unreachable) must not kill the server.
  socket.on('error', () => {});

  function answer(query: packet.Packet, question: packet.Question, name: string): packet.Packet {
    const reply: packet.Packet = {
      id: query.id, type: 'response', flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE,
      questions: [question], answers: [],
    };
    const typed = `${name}/${question.type.toLowerCase()}`;
    if (servfail.has(name) || servfail.has(typed)) return { ...reply, flags: reply.flags! | 2 };
    if (refused.has(name) || refused.has(typed)) return { ...reply, flags: reply.flags! | 5 };
    let current = name;
    for (let hops = 0; hops < 8; hops++) {
      const record = records.get(current);
      if (record === undefined) {
        // NXDOMAIN only when the asked name itself is unknown; a dangling CNAME is NODATA.
        return current === name ? { ...reply, flags: reply.flags! | 3 } : reply;
      }
      if (record.CNAME !== undefined && question.type !== 'CNAME') {
        reply.answers!.push({ type: 'CNAME', name: current, ttl, class: 'IN', data: norm(record.CNAME) });
        current = norm(record.CNAME);
        continue;
      }
      if (question.type === 'A') for (const a of record.A ?? []) reply.answers!.push({ type: 'A', name: current, ttl, class: 'IN', data: a });
      if (question.type === 'AAAA') for (const a of record.AAAA ?? []) reply.answers!.push({ type: 'AAAA', name: current, ttl, class: 'IN', data: a });
      if (question.type === 'CNAME' && record.CNAME) reply.answers!.push({ type: 'CNAME', name: current, ttl, class: 'IN', data: norm(record.CNAME) });
      return reply;
    }
    return reply;
  }

  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.port ?? 0, host, () => { socket.off('error', reject); resolve(); });
  });
  const { port, address } = socket.address();
  return {
    port, address, stats,
    set(name, record) { records.set(norm(name), record); },
    close: () => new Promise<void>((resolve) => {
      if (timer !== undefined) rawClearTimeout(timer);
      for (const t of slowTimers) rawClearTimeout(t);
      timer = undefined;
      due.length = 0;
      socket.close(() => resolve());
    }),
  };
}
