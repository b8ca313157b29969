// Runs one example of examples/, or both sides of a client/server pair, from one command:
//
//   npm run example -- NAME [--alone] [--port N] [--redis URL] [--scale X]
//   node examples/run.mjs NAME ...          (the same)
//   node examples/run.mjs --list
//
// A pair (tcp_server + tcp_client, zmq_sub + zmq_pub, redis_dryer + redis_washer, ...) is started
// by naming either side: the side that waits (server, subscriber, dryer) starts first, the other
// once the first reports it is ready; every line is prefixed with the side that printed it. A side
// that serves forever (zmq_server, xmlrpc_server, the subscribers) is stopped with SIGTERM once
// the other side is done. `--alone` runs only the named side (as `node examples/NAME.mjs` does).
//
// Options: `--port N` (default: a free loopback port for a pair, 6789 alone), `--redis URL` (default:
// a redis-server started for the run, on a free loopback port — redis-server must be on PATH),
// `--scale X` (multiplies the long sleeps and timeouts of thread_dishes, gevent_dns, redis_dryer2).
// A bad option, port, scale or Redis URL, or a --redis server that cannot be reached, is one line
// on stderr and exit code 2 (usage) or 1 (unreachable), not a stack trace or a hang.
import { spawn as spawnProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));

/** Every example, with the options it accepts. */
const EXAMPLES = {
  dishes: [],
  dishes_processes: [],
  threads: [],
  thread_dishes: ['scale'],
  gevent_dns: ['scale'],
  gethostbyname: [],
  monkey: [],
  dns_functions: [],
  redis_washer: ['redis'],
  redis_dryer: ['redis'],
  redis_dryer2: ['redis', 'scale'],
  redis_pub: ['redis'],
  redis_sub: ['redis'],
  bullmq_dishes: ['redis'],
  zmq_pub: ['port'],
  zmq_sub: ['port'],
  zmq_server: ['port'],
  zmq_client: ['port'],
  udp_server: ['port'],
  udp_client: ['port'],
  tcp_server: ['port'],
  tcp_client: ['port'],
  xmlrpc_server: ['port'],
  xmlrpc_client: ['port'],
};

/**
 * Pairs: `first` waits (and says 'ready' over IPC), `second` is started then. `stop`: how `first`
 * ends — 'exits' (by itself), 'kill' (SIGTERM when `second` is done), or 'subscriber' (SIGTERM
 * once it printed every message of its topics that `second` published, or after 5 s).
 */
const PAIRS = [
  { first: 'zmq_sub', second: 'zmq_pub', stop: 'subscriber' },
  { first: 'zmq_server', second: 'zmq_client', stop: 'kill' },
  { first: 'udp_server', second: 'udp_client', stop: 'exits' },
  { first: 'tcp_server', second: 'tcp_client', stop: 'exits' },
  { first: 'xmlrpc_server', second: 'xmlrpc_client', stop: 'kill' },
  { first: 'redis_dryer', second: 'redis_washer', stop: 'exits' },
  { first: 'redis_dryer2', second: 'redis_washer', stop: 'exits' },
  { first: 'redis_sub', second: 'redis_pub', stop: 'subscriber' },
];
const SUBSCRIBED = ['maine coon', 'persian'];

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      alone: { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
      port: { type: 'string' },
      redis: { type: 'string' },
      scale: { type: 'string' },
    },
  });
} catch (error) {
  usageError(error.message); // an unknown option, or one missing its value
}
const { values, positionals } = parsed;
if (values.port !== undefined && !(/^\d+$/.test(values.port) && Number(values.port) >= 1 && Number(values.port) <= 65535)) {
  usageError(`--port must be a port number from 1 to 65535, got "${values.port}"`);
}
if (values.scale !== undefined && !(Number(values.scale) > 0 && Number.isFinite(Number(values.scale)))) {
  usageError(`--scale must be a positive number, got "${values.scale}"`);
}
if (values.redis !== undefined) checkRedisUrl(values.redis);

const name = positionals[0]?.replace(/\.m?js$/, '');
if (values.list || name === undefined) {
  console.log('Examples (npm run example -- NAME):');
  for (const example of Object.keys(EXAMPLES)) {
    const pair = PAIRS.find((p) => p.first === example || p.second === example);
    console.log(`  ${example}${pair ? `   (pair: with ${pair.first === example ? pair.second : pair.first})` : ''}`);
  }
  process.exit(name === undefined && !values.list ? 1 : 0);
}
if (!(name in EXAMPLES)) {
  console.error(`No example named "${name}". Run with --list to see them.`);
  process.exit(1);
}

/** The arguments `example` accepts, taken from ours. */
function argsFor(example, extra = {}) {
  const given = { ...values, ...extra };
  const args = [];
  for (const option of EXAMPLES[example]) {
    if (given[option] !== undefined) args.push(`--${option}`, String(given[option]));
  }
  return args;
}

const pair = values.alone ? undefined : PAIRS.find((p) => p.first === name || p.second === name);
// An option no example of this run takes would be dropped without a word: refuse it instead.
const takers = pair === undefined ? [name] : [pair.first, pair.second];
for (const option of ['port', 'redis', 'scale']) {
  if (values[option] !== undefined && !takers.some((example) => EXAMPLES[example].includes(option))) {
    usageError(`${takers.join(' and ')} take${takers.length === 1 ? 's' : ''} no --${option}`);
  }
}
if (values.redis !== undefined && EXAMPLES[name].includes('redis')) await checkRedisReachable(values.redis);

// A signal sent to this runner alone (not to its process group, as Ctrl-C does) is passed on to
// the examples it started, so that they stop too instead of running on without it.
const children = new Set();
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    if (children.size === 0) process.exit(1);
  });
}

if (pair === undefined) {
  const child = spawnProcess(process.execPath, [...process.execArgv, join(here, `${name}.mjs`), ...argsFor(name)], { stdio: 'inherit' });
  children.add(child);
  const [code, signal] = await once(child, 'exit');
  process.exitCode = code ?? (signal ? 1 : 0);
} else {
  process.exitCode = await runPair(pair);
}

async function runPair({ first, second, stop }) {
  const extra = {};
  let redis = null;
  if (EXAMPLES[first].includes('port') && values.port === undefined) extra.port = await freePort();
  if (EXAMPLES[first].includes('redis') && values.redis === undefined) {
    const { startRedisServer } = await import('nodevent/testing');
    redis = await startRedisServer();
    extra.redis = redis.url;
  }
  try {
    const a = start(first, argsFor(first, extra));
    const ready = await Promise.race([
      once(a.child, 'message').then(() => true),
      a.exited.then(() => false),
      delay(15_000).then(() => false),
    ]);
    if (!ready) {
      console.error(`[run] ${first} did not become ready`);
      a.child.kill('SIGTERM');
      await a.exited;
      return 1;
    }
    const b = start(second, argsFor(second, extra));
    const secondCode = await b.exited;
    if (stop === 'subscriber') {
      const wanted = b.lines.filter((line) => SUBSCRIBED.some((topic) => line.startsWith(`Publish: ${topic} wears`))).length;
      const deadline = Date.now() + 5000;
      while (a.lines.length < wanted && a.child.exitCode === null && Date.now() < deadline) await delay(20);
    }
    if (stop !== 'exits' && a.child.exitCode === null) a.child.kill('SIGTERM');
    const firstCode = await Promise.race([a.exited, delay(60_000).then(() => 'timeout')]);
    if (firstCode === 'timeout') {
      a.child.kill('SIGKILL');
      return 1;
    }
    return secondCode !== 0 || firstCode !== 0 ? 1 : 0;
  } finally {
    await redis?.stop();
  }
}

/** Starts one side with an IPC channel (for 'ready'); prefixes its lines with its name. */
function start(example, args) {
  const child = spawnProcess(process.execPath, [...process.execArgv, join(here, `${example}.mjs`), ...args], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  children.add(child);
  const lines = [];
  const out = createInterface({ input: child.stdout });
  out.on('line', (line) => {
    lines.push(line);
    console.log(`[${example}] ${line}`);
  });
  createInterface({ input: child.stderr }).on('line', (line) => console.error(`[${example}] ${line}`));
  const outClosed = once(out, 'close');
  const exited = once(child, 'exit').then(async ([code, signal]) => {
    await outClosed;
    if (child.connected) child.disconnect();
    // SIGTERM is how run.mjs stops a server: not a failure.
    return code ?? (signal === 'SIGTERM' ? 0 : 1);
  });
  return { child, lines, exited };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function delay(ms) {
  return new Promise((resolve) => {
    setTimeout(resolve, ms).unref();
  });
}

/** Prints `message` and how to get help, and exits: a mistyped option is not a crash. */
function usageError(message) {
  console.error(`${message}\nUsage: npm run example -- NAME [--alone] [--port N] [--redis URL] [--scale X]   (--list for the names)`);
  process.exit(2);
}

function checkRedisUrl(url) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    usageError(`--redis must be a redis:// URL such as redis://127.0.0.1:6379, got "${url}"`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    usageError(`--redis must be a redis:// or rediss:// URL, got "${url}"`);
  }
}

/**
 * Connects once to the --redis server (3 s at most), so that a wrong URL is one clear line now
 * rather than each side of a pair failing on its own.
 */
async function checkRedisReachable(url) {
  const { hostname, port } = new URL(url);
  const host = hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const problem = await new Promise((resolve) => {
    const socket = connect({ host, port: Number(port || 6379), timeout: 3000 });
    socket.once('connect', () => { socket.destroy(); resolve(null); });
    socket.once('timeout', () => { socket.destroy(); resolve('ETIMEDOUT (no answer within 3 s)'); });
    socket.once('error', (error) => resolve(`${error.code ?? error.name} (${error.message})`));
  });
  if (problem === null) return;
  console.error(`Cannot reach Redis at ${url}: ${problem}.\nStart redis-server there, or leave out --redis to have one started for this run.`);
  process.exit(1);
}
