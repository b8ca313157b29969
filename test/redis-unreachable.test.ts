import t from 'tap';
import net from 'node:net';
import { spawn } from '../src/runtime/index.js';
import { RedisConnectionError, RedisPubSub, RedisQueue } from '../src/redis/index.js';
import { findRedisServer, startRedisServer } from '../src/testing/redis-server.js';
import { listenLoopback } from './helpers/servers.js';
import { leakable as resources, refusingPort, settledTo } from './helpers/unreachable.js';

// An unreachable or refusing Redis is a RedisConnectionError naming the code and the URL, raised
// within the connect time; a server lost after the first connection is still waited for.

/** A loopback URL on which nothing listens. */
async function refusingUrl(): Promise<string> {
  return `redis://127.0.0.1:${await refusingPort()}`;
}

/** Rejects if `promise` is still pending after `seconds`: a hang fails the test instead of the file. */
function settlesWithin<T>(promise: Promise<T>, seconds: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${seconds} s`)), seconds * 1000);
  });
  return Promise.race([promise, hang]).finally(() => clearTimeout(timer));
}

function refused(url: string) {
  return {
    name: 'RedisConnectionError',
    code: 'ECONNREFUSED',
    url,
    message: new RegExp(`${url.replace(/[.]/g, '\\.')}.*ECONNREFUSED`),
  };
}

t.test('bad connection options are TypeErrors and RangeErrors naming the option', async (t) => {
  t.throws(() => new RedisQueue('q', { url: 'http://127.0.0.1:6379' }), { name: 'TypeError', message: /options\.url/ });
  t.throws(() => new RedisQueue('q', { url: 'not a url' }), { name: 'TypeError', message: /options\.url/ });
  t.throws(() => new RedisQueue('q', { url: 6379 as never }), { name: 'TypeError', message: /options\.url/ });
  t.throws(() => new RedisQueue('q', { connectTimeout: -1 }), { name: 'RangeError', message: /options\.connectTimeout/ });
  t.throws(() => new RedisQueue('q', { connectTimeout: 0 }), { name: 'RangeError', message: /options\.connectTimeout/ });
  t.throws(() => new RedisPubSub({ connectTimeout: '1' as never }), { name: 'TypeError', message: /options\.connectTimeout/ });
  t.throws(() => new RedisPubSub({ url: 'redis//x' }), { name: 'TypeError', message: /options\.url/ });
});

t.test('RedisQueue at a refusing port: put, get and qsize reject with RedisConnectionError', async (t) => {
  const url = await refusingUrl();
  const baseline = resources();
  const q = new RedisQueue<string>('nowhere', { url, connectTimeout: 0.3 });
  await t.rejects(settlesWithin(q.put('dish'), 20), refused(url));
  await t.rejects(settlesWithin(q.qsize(), 20), refused(url));
  // Inside a greenlet too: the getter fails rather than blocking forever.
  await t.rejects(settlesWithin(spawn(() => q.get({ timeout: 30 })).get(), 20), refused(url));
  const error = await q.put('x').catch((e: unknown) => e);
  t.type(error, RedisConnectionError);
  t.ok((error as Error).cause, 'the last socket error is kept as cause');
  await q.close();
  t.same(await settledTo(baseline), baseline, 'no socket or timer left behind');
});

t.test('RedisPubSub at a refusing port: publish and subscribe reject with RedisConnectionError', async (t) => {
  const url = await refusingUrl();
  const baseline = resources();
  const bus = new RedisPubSub<string>({ url, connectTimeout: 0.3 });
  await t.rejects(settlesWithin(bus.publish('persian', 'bowler'), 20), refused(url));
  await t.rejects(settlesWithin(bus.subscribe('persian'), 20), refused(url));
  await t.rejects(settlesWithin(spawn(() => bus.psubscribe('cat:*')).get(), 20), refused(url));
  await bus.close();
  t.same(await settledTo(baseline), baseline, 'no socket or timer left behind');
});

t.test('a server that accepts and hangs up at once (not Redis) is a RedisConnectionError too', async (t) => {
  const server = net.createServer((socket) => socket.destroy());
  const port = await listenLoopback(t, server);
  const url = `redis://127.0.0.1:${port}`;
  const q = new RedisQueue<string>('hangup', { url, connectTimeout: 0.3 });
  t.teardown(() => q.close());
  const error = await settlesWithin(q.put('x'), 20).catch((e: unknown) => e);
  t.type(error, RedisConnectionError);
  t.equal((error as RedisConnectionError).url, url);
  t.equal((error as RedisConnectionError).code, 'ECONNRESET', 'the peer closed the connection');
  t.match((error as Error).message, url);
});

t.test('the password is not shown in the error', async (t) => {
  const url = (await refusingUrl()).replace('redis://', 'redis://user:s3cret@');
  const q = new RedisQueue<string>('secret', { url, connectTimeout: 0.1 });
  t.teardown(() => q.close());
  const error = (await q.put('x').catch((e: unknown) => e)) as RedisConnectionError;
  t.type(error, RedisConnectionError);
  t.notMatch(error.message, 's3cret');
  t.notMatch(error.url, 's3cret');
  t.match(error.url, 'user:***@');
});

t.test('once connected, a server that goes away is waited for: connectTimeout does not apply', { skip: findRedisServer() === null ? 'redis-server not installed' : false }, async (t) => {
  const server = await startRedisServer();
  t.teardown(() => server.stop());
  const q = new RedisQueue<number>(`restart-${process.pid}`, { url: server.url, connectTimeout: 0.05 });
  t.teardown(() => q.close());
  await q.put(1);
  // Down for far longer than the connect time: the put sent meanwhile is retried, not failed.
  const restarting = server.restart({ kill: true, downSeconds: 0.5 });
  const put = q.put(2);
  await restarting;
  await settlesWithin(put, 30);
  t.equal(await q.qsize(), 1, 'the item put while the server was down arrived (the first was lost with the unpersisted server)');
});

t.test('after a RedisConnectionError the next command tries again: the queue works once the server is up', { skip: findRedisServer() === null ? 'redis-server not installed' : false }, async (t) => {
  const server = await startRedisServer();
  t.teardown(() => server.stop());
  const url = await refusingUrl();
  const q = new RedisQueue<string>(`late-${process.pid}`, { url, connectTimeout: 0.2 });
  t.teardown(() => q.close());
  await t.rejects(q.put('early'), { name: 'RedisConnectionError', code: 'ECONNREFUSED' });
  // The server "comes up" on that port: a proxy to the real one.
  const proxy = net.createServer((client) => {
    const upstream = net.connect(server.port, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  proxy.listen(Number(new URL(url).port), '127.0.0.1');
  await new Promise((resolve) => proxy.once('listening', resolve));
  t.teardown(() => new Promise((resolve) => { proxy.close(resolve); }));
  await q.put('late');
  t.equal(await q.qsize(), 1);
  t.equal(await q.getNowait(), 'late');
  await q.taskDone();
  await q.close(); // before the proxy goes: its connections end with the queue
});
