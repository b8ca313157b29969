// A UDP relay that puts a round trip in front of a real DNS server: queries go on at once (so the
// server sees the bursts the clients send, and drops what overflows its socket), answers come back
// after `rtt` seconds. It counts what passes, per round: queries, distinct questions (the rest are
// retransmissions) and answers.
//
// The native relay (relay.c, built here with the machine's C compiler) is used when it builds: a
// relay in Node spends about 90 µs of CPU per query and its answer, so on a 2-core machine it took
// a core from the variant measured and from the server, and it forwarded queries at its own pace
// (about 13 a millisecond), so the server never saw the bursts the clients sent.
import dgram from 'node:dgram';
import { createHash } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const questionKey = (msg) => {
  // The question section starts at byte 12: labels, then type. Enough to tell retransmissions.
  let at = 12;
  while (at < msg.length && msg[at] !== 0) at += msg[at] + 1;
  return msg.subarray(12, at + 3).toString('latin1');
};

/** The relay in Node, on host:port in front of upstream. */
async function startNodeRelay({ host = '127.0.0.1', port = 53, upstream, rtt }) {
  const delayMs = rtt * 1000;
  const front = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 26, sendBufferSize: 1 << 26 });
  const back = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 26, sendBufferSize: 1 << 26 });
  // Upstream ids are ours: 65,536 slots, each remembering whom to answer with which id.
  const slots = new Array(65536);
  let nextId = 0;
  let seen = new Set();
  const stats = { queries: 0, distinct: 0, answers: 0 };
  const due = [];
  let head = 0;
  let timer;
  const flush = () => {
    timer = undefined;
    const now = performance.now();
    while (head < due.length && due[head].at <= now + 0.5) {
      const item = due[head++];
      front.send(item.buf, item.port, item.address);
    }
    if (head === due.length) { due.length = 0; head = 0; } else arm();
  };
  const arm = () => {
    if (timer === undefined && head < due.length) timer = setTimeout(flush, Math.max(0, due[head].at - performance.now()));
  };
  front.on('message', (msg, rinfo) => {
    if (msg.length < 12) return;
    stats.queries++;
    const key = questionKey(msg);
    if (!seen.has(key)) { seen.add(key); stats.distinct++; }
    const id = nextId;
    nextId = (nextId + 1) & 0xffff;
    slots[id] = { id: msg.readUInt16BE(0), port: rinfo.port, address: rinfo.address };
    const out = Buffer.from(msg);
    out.writeUInt16BE(id, 0);
    back.send(out, upstream.port, upstream.host);
  });
  back.on('message', (msg) => {
    if (msg.length < 12) return;
    const slot = slots[msg.readUInt16BE(0)];
    if (slot === undefined) return;
    stats.answers++;
    msg.writeUInt16BE(slot.id, 0);
    if (delayMs === 0) front.send(msg, slot.port, slot.address);
    else { due.push({ at: performance.now() + delayMs, buf: msg, port: slot.port, address: slot.address }); arm(); }
  });
  front.on('error', () => {});
  back.on('error', () => {});
  await new Promise((resolve, reject) => { front.once('error', reject); front.bind(port, host, resolve); });
  await new Promise((resolve) => back.bind(0, '127.0.0.1', resolve));
  return {
    port: front.address().port,
    /** Counters since the last reset, and a new round begins. */
    async reset() {
      const out = { ...stats };
      stats.queries = 0; stats.distinct = 0; stats.answers = 0;
      seen = new Set();
      return out;
    },
    close() {
      clearTimeout(timer);
      front.close();
      back.close();
    },
  };
}

const SOURCE = fileURLToPath(new URL('./relay.c', import.meta.url));

/** The native relay's binary, built once per version of its source; or why it cannot be. */
function buildNativeRelay() {
  const source = readFileSync(SOURCE);
  const binary = join(tmpdir(), `nodevent-relay-${createHash('sha256').update(source).digest('hex').slice(0, 16)}`);
  if (existsSync(binary)) return { binary };
  const building = `${binary}.${process.pid}`;
  // g++ last, told the source is C: Debian's g++ brings gcc along, but not every system's does.
  for (const [cc, ...flags] of [['cc'], ['gcc'], ['clang'], ['g++', '-x', 'c']]) {
    try {
      execFileSync(cc, [...flags, '-O2', '-o', building, SOURCE], { stdio: 'ignore' });
      renameSync(building, binary);
      return { binary };
    } catch {
      // not this compiler
    }
  }
  return { error: `bench/relay.c could not be built into ${tmpdir()} (no C compiler? Debian: apt-get install gcc)` };
}

/** The native relay (relay.c) on 127.0.0.1:port in front of upstream (on 127.0.0.1). */
async function startNativeRelay(binary, { port = 53, upstream, rtt }) {
  const child = spawn(binary, [String(port), String(upstream.port), String(rtt * 1000)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = [];
  const waiting = [];
  let buffer = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    buffer += chunk;
    let at;
    while ((at = buffer.indexOf('\n')) !== -1) {
      const line = buffer.slice(0, at);
      buffer = buffer.slice(at + 1);
      const next = waiting.shift();
      if (next) next.resolve(line);
      else lines.push(line);
    }
  });
  const exited = new Promise((resolve) => child.once('close', resolve));
  void exited.then((code) => {
    for (const next of waiting.splice(0)) next.reject(new Error(`the relay exited (${code})`));
  });
  const nextLine = () => new Promise((resolve, reject) => {
    if (lines.length > 0) resolve(lines.shift());
    else if (child.exitCode !== null) reject(new Error(`the relay exited (${child.exitCode})`));
    else waiting.push({ resolve, reject });
  });
  const ready = await nextLine(); // "ready PORT": bound and connected
  return {
    port: Number(ready.split(' ')[1]),
    /** Counters since the last reset, and a new round begins. */
    async reset() {
      child.stdin.write('stats\n');
      return JSON.parse(await nextLine());
    },
    close() {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      void exited.then(() => clearTimeout(timer));
      return exited;
    },
  };
}

/**
 * Starts the relay on 127.0.0.1:port (0: any free port) in front of upstream: the native one unless
 * `kind` is 'node' or it cannot be built ('native' then throws). Returns `kind` (what runs, and
 * why), `port`, `reset()` (the counters since the last reset: queries, distinct, answers) and
 * `close()`.
 */
export async function startRelay({ kind = 'auto', ...options }) {
  if (kind !== 'node') {
    const built = buildNativeRelay();
    if (built.binary) return { kind: 'native (bench/relay.c)', ...(await startNativeRelay(built.binary, options)) };
    if (kind === 'native') throw new Error(`--relay native: ${built.error}`);
    return { kind: `Node (${built.error})`, ...(await startNodeRelay(options)) };
  }
  return { kind: 'Node (chosen with --relay node)', ...(await startNodeRelay(options)) };
}
