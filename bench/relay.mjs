// A UDP relay that puts a round trip in front of a real DNS server: queries go on at once (so the
// server sees the bursts the clients send, and drops what overflows its socket), answers come back
// after `rtt` seconds. It counts what passes, per round: queries, distinct questions (the rest are
// retransmissions) and answers.
import dgram from 'node:dgram';

const questionKey = (msg) => {
  // The question section starts at byte 12: labels, then type. Enough to tell retransmissions.
  let at = 12;
  while (at < msg.length && msg[at] !== 0) at += msg[at] + 1;
  return msg.subarray(12, at + 3).toString('latin1');
};

/** Starts the relay on host:port in front of upstream; returns counters and close(). */
export async function startRelay({ host = '127.0.0.1', port = 53, upstream, rtt }) {
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
    stats,
    /** Counters since the last reset, and a new round begins. */
    reset() {
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
