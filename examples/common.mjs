// What the client/server examples (tcp_*, udp_*, zmq_*) share: the --port option, the 'ready'
// signal to examples/run.mjs, stopping a serve-forever greenlet on a signal, and printing values
// the way the chapter's Python prints them.
import { parseArgs } from 'node:util';

/** The `--port N` option (default 6789), as a number. */
export function portOption() {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '6789' } } });
  return Number(values.port);
}

/** Tells examples/run.mjs that it may start the other side of the pair (nothing when run alone). */
export function signalReady() {
  process.send?.('ready');
}

/** Kills greenlet `g` on Ctrl-C (SIGINT) or SIGTERM (how run.mjs stops it), and waits for it. */
export function serveUntilSignalled(g) {
  process.once('SIGINT', () => g.kill());
  process.once('SIGTERM', () => g.kill());
  return g;
}

/** Python's str(datetime.now()): 2020-07-14 11:35:46.995028 */
export function now() {
  const d = new Date();
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}000`;
}

/** Python's repr of an address tuple: ('127.0.0.1', 6789) */
export function pyAddress([host, port]) {
  return `('${host}', ${port})`;
}

/** Python's repr of bytes: b'Hey!' */
export function pyBytes(buf) {
  const chars = [...buf].map((c) => (c >= 32 && c < 127 && c !== 39 && c !== 92 ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`));
  return `b'${chars.join('')}'`;
}
