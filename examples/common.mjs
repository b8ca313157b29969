// What the client/server examples (tcp_*, udp_*, zmq_*) share: the --port option (checked), the 'ready'
// signal to examples/run.mjs, stopping a serve-forever greenlet on a signal, and printing values
// the way the chapter's Python prints them.
import { basename } from 'node:path';
import { parseArgs } from 'node:util';

/**
 * The `--port N` option (default 6789), as a number. A bad one (`--port abc`, an unknown option)
 * is one line on stderr and exit code 2, not a stack trace.
 */
export function portOption() {
  let port;
  try {
    port = parseArgs({ options: { port: { type: 'string', default: '6789' } } }).values.port;
  } catch (error) {
    usageError(error.message);
  }
  if (!(/^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) {
    usageError(`--port must be a port number from 1 to 65535, got "${port}"`);
  }
  return Number(port);
}

function usageError(message) {
  console.error(`${message}\nUsage: node examples/${basename(process.argv[1])} [--port N]`);
  process.exit(2);
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
