import t from 'tap';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { greenletProcessor, RedisConnectionError, waitUntilReady } from '../src/bullmq/index.js';
import { connectionUrl } from '../src/bullmq/ready.js';
import { findRedisServer, startRedisServer } from '../src/testing/redis-server.js';
import { leakable as resources, refusingPort, settledTo } from './helpers/unreachable.js';

// Left alone, a BullMQ Worker or Queue pointed at an unreachable Redis retries for ever and a
// Worker's close() never resolves; waitUntilReady turns that into a RedisConnectionError.

t.test('a Worker at a refusing port: RedisConnectionError naming ECONNREFUSED and the URL; the worker is closed', async (t) => {
  const port = await refusingPort();
  const baseline = resources();
  const worker = new Worker(`w-${process.pid}`, greenletProcessor(async () => 1), { connection: { host: '127.0.0.1', port } });
  worker.on('error', () => {});
  await t.rejects(waitUntilReady(worker, { timeout: 0.5 }), {
    name: 'RedisConnectionError',
    code: 'ECONNREFUSED',
    url: `redis://127.0.0.1:${port}`,
    message: new RegExp(`redis://127\\.0\\.0\\.1:${port}: ECONNREFUSED`),
  });
  t.ok(worker.closing, 'the worker was closed');
  await worker.close(); // resolves: a plain close() of an unconnected worker alone would hang
  t.same(await settledTo(baseline), baseline, 'no socket or reconnect timer left behind');
});

t.test('a Queue at a refusing port, with a password: the error does not show it', async (t) => {
  const port = await refusingPort();
  const baseline = resources();
  const queue = new Queue(`q-${process.pid}`, { connection: { host: '127.0.0.1', port, username: 'app', password: 's3cret' } });
  queue.on('error', () => {});
  const error = (await waitUntilReady(queue, { timeout: 0.3 }).catch((e: unknown) => e)) as RedisConnectionError;
  t.type(error, RedisConnectionError);
  t.equal(error.code, 'ECONNREFUSED');
  t.equal(error.url, `redis://app:***@127.0.0.1:${port}`);
  t.notMatch(error.message, 's3cret');
  t.same(await settledTo(baseline), baseline, 'no socket or reconnect timer left behind');
});

t.test('the URL of each form of BullMQ connection option', async (t) => {
  t.equal(connectionUrl({ host: '10.0.0.1', port: 6380 }), 'redis://10.0.0.1:6380');
  t.equal(connectionUrl({}), 'redis://127.0.0.1:6379');
  t.equal(connectionUrl({ url: 'redis://cache:6379/2' }), 'redis://cache:6379/2');
  t.equal(connectionUrl({ path: '/run/redis.sock' }), 'unix:///run/redis.sock');
  t.equal(connectionUrl({ host: '::1', port: 6379, tls: {}, db: 3 }), 'rediss://[::1]:6379/3');
  const client = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true });
  t.equal(connectionUrl(client), 'redis://127.0.0.1:1', 'an ioredis client: its options');
  client.disconnect();
});

t.test('bad arguments are TypeErrors and RangeErrors naming the argument', async (t) => {
  await t.rejects(waitUntilReady(null as never), { name: 'TypeError', message: /"target"/ });
  await t.rejects(waitUntilReady({} as never), { name: 'TypeError', message: /"target"/ });
  const fake = { waitUntilReady: async () => {}, close: async () => {}, on() {}, off() {} };
  await t.rejects(waitUntilReady(fake, { timeout: -1 }), { name: 'RangeError', message: /options\.timeout/ });
  await t.rejects(waitUntilReady(fake, { timeout: 0 }), { name: 'RangeError', message: /options\.timeout/ });
  t.throws(() => greenletProcessor(42 as never), { name: 'TypeError', message: /"fn"/ });
  t.throws(() => greenletProcessor(async () => 1, { timeout: -1 }), { name: 'RangeError', message: /options\.timeout/ });
  t.throws(() => greenletProcessor(async () => 1, { retryCancelled: 'no' as never }), { name: 'TypeError', message: /options\.retryCancelled/ });
  t.equal(greenletProcessor(async () => 1).length, 3, 'three parameters: BullMQ hands it a signal');
});

t.test('a reachable Redis: waitUntilReady resolves the target', { skip: findRedisServer() === null ? 'redis-server not installed' : false }, async (t) => {
  const server = await startRedisServer();
  t.teardown(() => server.stop());
  const queue = new Queue(`ok-${process.pid}`, { connection: { host: '127.0.0.1', port: server.port } });
  t.teardown(() => queue.close());
  t.equal(await waitUntilReady(queue, { timeout: 10 }), queue);
});
