import t from 'tap';
import net from 'node:net';
import { createClient } from 'redis';
import { eventually, listenLoopback, type Teardown } from './helpers/servers.js';
import { spawn, sleep } from '../src/runtime/index.js';
import { Empty, ShutDown } from '../src/runtime/queue-errors.js';
import { RedisQueue } from '../src/redis/index.js';
import { queueBehaviour } from './helpers/queue-behaviour.js';
import { findRedisServer, startRedisServer } from '../src/testing/redis-server.js';

if (findRedisServer() === null) {
  t.plan(0, 'redis-server not found on PATH (install redis-server, see .ci/run/pretest)');
  process.exit(0);
}

const server = await startRedisServer();
t.teardown(() => server.stop());
let n = 0;
const queues: RedisQueue<any>[] = [];
function makeQueue<T>(options: Record<string, unknown> = {}): RedisQueue<T> {
  const q = new RedisQueue<T>(`test-${process.pid}-${++n}`, { url: server.url, lease: 1, ...options });
  queues.push(q);
  return q;
}
async function cleanup(q: RedisQueue<any>): Promise<void> {
  await q.purge().catch(() => {});
  await q.close();
}
t.teardown(async () => { for (const q of queues) await q.close(); });
/** Clients of `url`'s server blocked in a command now (a getter waiting in BLMOVE). */
async function blockedClients(url: string): Promise<number> {
  const admin = createClient({ url });
  await admin.connect();
  try {
    return Number(/blocked_clients:(\d+)/.exec(await admin.info('clients'))?.[1] ?? 0);
  } finally {
    admin.destroy();
  }
}
/** Waits (up to 30 s) for a getter of `url`'s server to block. */
const getterBlocked = (url: string) => eventually(async () => (await blockedClients(url)) > 0, 30);

// The shared behavioural test of the joinable queue (also run against the in-memory Queue).
t.test('shared joinable-queue behaviour', async (t) => {
  queueBehaviour(t, 'RedisQueue', () => makeQueue(), (q) => cleanup(q as RedisQueue));
});

t.test('pending → working → done, counted in stats', async (t) => {
  const q = makeQueue<{ dish: string }>();
  for (const dish of ['salad', 'bread', 'entree']) await q.put({ dish });
  t.equal(await q.qsize(), 3);
  const a = await q.get();
  t.same(a, { dish: 'salad' });
  let s = await q.stats();
  t.match(s, { pending: 2, working: 1, done: 0, unfinished: 3 });
  t.same(s.running.map((r) => r.item), [{ dish: 'salad' }]);
  await q.taskDone();
  await q.get();
  await q.taskFailed(new Error('dropped'));
  s = await q.stats();
  t.match(s, { pending: 1, working: 0, done: 1, failed: 1, unfinished: 1 });
  t.same(s.failedItems.map((f) => [f.item, f.reason]), [[{ dish: 'bread' }, 'Error: dropped']]);
  t.equal(await q.join({ timeout: 0.2 }), false);
  await q.get();
  await q.taskDone();
  t.equal(await q.join({ timeout: 5 }), true);
  await cleanup(q);
});

t.test('a non-serialisable item is a TypeError and nothing is written', async (t) => {
  const q = makeQueue();
  await t.rejects(q.put(10n), TypeError);
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  await t.rejects(q.put(circular), TypeError);
  await t.rejects(q.put({ f: () => 1 }), TypeError);
  t.match(await q.stats(), { pending: 0, unfinished: 0 });
  await cleanup(q);
});

t.test('bytes codec', async (t) => {
  const q = makeQueue<Uint8Array>({ codec: 'bytes' });
  await q.put(Buffer.from([0, 1, 254, 255]));
  const got = await q.get();
  t.ok(Buffer.isBuffer(got));
  t.same([...got], [0, 1, 254, 255]);
  await q.taskDone();
  await t.rejects(q.put('text' as never), TypeError);
  await cleanup(q);
});

t.test('bad arguments name themselves', async (t) => {
  t.throws(() => new RedisQueue(''), TypeError);
  t.throws(() => new RedisQueue('q', { lease: -1 }), RangeError);
  t.throws(() => new RedisQueue('q', { maxsize: 1.5 }), RangeError);
  t.throws(() => new RedisQueue('q', { codec: 'xml' as never }), { name: 'TypeError', message: /options\.codec/ });
});

t.test('a getter killed while blocked takes nothing, and leaves no connection behind', async (t) => {
  const q = makeQueue<number>();
  const g = spawn(() => q.get());
  await getterBlocked(server.url);
  await g.kill();
  await q.put(1);
  // The blocked connection was killed: the item is not moved into a working list by a ghost.
  // (A ghost would act within milliseconds; this waits for something that must not happen.)
  await sleep(0.1);
  t.match(await q.stats(), { pending: 1, working: 0 });
  t.equal(await q.get({ timeout: 2 }), 1);
  await q.taskDone();
  await cleanup(q);
});

t.test('an item held by a killed greenlet goes back at once', async (t) => {
  const q = makeQueue<string>({ lease: 30 });
  await q.put('towel');
  const g = spawn(async () => { await q.get(); await sleep(60); });
  await eventually(async () => (await q.stats()).working === 1, 30);
  t.match(await q.stats(), { pending: 0, working: 1 });
  await g.kill();
  await eventually(async () => (await q.stats()).pending === 1, 10);
  t.match(await q.stats(), { pending: 1, working: 0 });
  t.equal(await q.get({ timeout: 1 }), 'towel');
  await q.taskDone();
  await cleanup(q);
});

// A loopback proxy in front of Redis that, once armed, drops the connection instead of passing on
// the first reply containing `marker`: the command ran (and was persisted), its answer never came.
async function replyCuttingProxy(t: Teardown, port: number) {
  const state = { marker: null as string | null, cut: 0 };
  const proxy = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    client.on('error', () => {});
    upstream.on('error', () => {});
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => {
      if (state.marker !== null && chunk.includes(state.marker)) {
        state.marker = null;
        state.cut++;
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
  });
  const proxyPort = await listenLoopback(t, proxy);
  return { url: `redis://127.0.0.1:${proxyPort}`, state };
}

t.test('a take whose reply was lost is answered again by its retry, not by a second item', async (t) => {
  const { url, state } = await replyCuttingProxy(t, server.port);
  const q = makeQueue<string>({ url, lease: 30 });
  await q.put('first');
  await q.put('second');
  state.marker = 'first';
  t.equal(await q.get({ timeout: 5 }), 'first', 'the retry answers the item the lost reply carried');
  t.equal(state.cut, 1, 'the reply was really cut');
  t.match(await q.stats(), { pending: 1, working: 1 }, 'one item held, none orphaned in the working list');
  await q.taskDone();
  t.equal(await q.get({ timeout: 5 }), 'second');
  await q.taskDone();
  t.match(await q.stats(), { pending: 0, working: 0, done: 2, unfinished: 0 });
  await cleanup(q);
});

t.test('the blocking connection, lost while idle in a Redis restart, is replaced', async (t) => {
  const own = await startRedisServer();
  t.teardown(() => own.stop());
  const q = new RedisQueue<number>('idle-blocker', { url: own.url, lease: 1 });
  t.teardown(() => q.close());
  const first = q.get(); // blocks: the blocking connection is opened
  await getterBlocked(own.url);
  await q.put(1);
  t.equal(await first, 1);
  await q.taskDone();
  await own.restart({ kill: true, downSeconds: 0.2 });
  await sleep(0.3);
  const second = q.get({ timeout: 5 });
  await getterBlocked(own.url);
  await q.put(2);
  t.equal(await second, 2, 'a get after the restart blocks on a fresh connection');
  await q.taskDone();
});

t.test('get timeout, getNowait, shutdown', async (t) => {
  const q = makeQueue<number>();
  await t.rejects(q.get({ timeout: 0.1 }), Empty);
  await t.rejects(q.getNowait(), Empty);
  await q.put(1);
  const waiter = q.get();
  t.equal(await waiter, 1);
  await q.taskDone();
  const blocked = q.get();
  await getterBlocked(server.url);
  await q.shutdown();
  await t.rejects(blocked, ShutDown);
  await t.rejects(q.put(2), ShutDown);
  await cleanup(q);
});

t.test('a getter waiting in line behind a blocked getter of the same consumer times out with Empty; the first still gets the item', async (t) => {
  const q = makeQueue<string>();
  const first = q.get();
  await getterBlocked(server.url); // the first getter holds the consumer's one blocking pop
  const started = Date.now();
  await t.rejects(q.get({ timeout: 0.2 }), Empty, 'the second never reached Redis: it timed out in line');
  t.ok(Date.now() - started >= 150, 'it waited for its timeout');
  await q.put('soup');
  t.equal(await first, 'soup');
  await q.taskDone();
  await cleanup(q);
});
