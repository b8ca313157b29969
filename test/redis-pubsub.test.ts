import t from 'tap';
import { createClient } from 'redis';
import { GreenletExit, Timeout, sleep, spawn, withTimeout } from '../src/runtime/index.js';
import { RedisPubSub, type PubSubMessage } from '../src/redis/index.js';
import { findRedisServer, startRedisServer } from '../src/testing/redis-server.js';
import { eventually, until } from './helpers/servers.js';

if (findRedisServer() === null) {
  t.plan(0, 'redis-server not found on PATH (install redis-server, see .ci/run/pretest)');
  process.exit(0);
}

const server = await startRedisServer();
t.teardown(() => server.stop());
const admin = createClient({ url: server.url });
await admin.connect();
t.teardown(() => admin.destroy());
const subscriberCount = async (): Promise<number> =>
  Number((await admin.sendCommand(['CLIENT', 'LIST', 'TYPE', 'pubsub']) as string).split('\n').filter(Boolean).length);

t.test('cats and hats: a subscriber gets only its topics', async (t) => {
  const bus = new RedisPubSub<string>({ url: server.url });
  t.teardown(() => bus.close());
  const got: PubSubMessage<string>[] = [];
  const ready = new Promise<void>((resolve) => {
    const g = spawn(async () => {
      const sub = await bus.subscribe('maine coon', 'persian');
      resolve();
      for await (const message of sub) {
        got.push(message);
        if (got.length === 2) break; // break closes the subscription
      }
    });
    t.teardown(() => g.kill());
  });
  await ready;
  const cats = ['siamese', 'persian', 'maine coon', 'norwegian forest'];
  const hats = ['stovepipe', 'bowler', 'tam-o-shanter', 'fedora'];
  const receivers: number[] = [];
  for (let i = 0; i < 4; i++) receivers.push(await bus.publish(cats[i]!, hats[i]!));
  t.same(receivers, [0, 1, 1, 0], 'only the subscribed topics had a receiver');
  await until(() => got.length >= 2);
  t.same(got, [{ topic: 'persian', message: 'bowler' }, { topic: 'maine coon', message: 'tam-o-shanter' }]);
  await eventually(async () => (await subscriberCount()) === 0, 10);
  t.equal(await subscriberCount(), 0, 'breaking out of the loop closed the connection');
});

t.test('psubscribe: glob patterns, the matched pattern is reported', async (t) => {
  const bus = new RedisPubSub({ url: server.url });
  t.teardown(() => bus.close());
  const sub = await bus.psubscribe('cat:*', 'hat:b?wler');
  await bus.publish('cat:persian', { hat: 'fedora' });
  await bus.publish('dog:pug', 'nope');
  await bus.publish('hat:bowler', [1, 2]);
  const it = sub[Symbol.asyncIterator]();
  t.same((await it.next()).value, { topic: 'cat:persian', message: { hat: 'fedora' }, pattern: 'cat:*' });
  t.same((await it.next()).value, { topic: 'hat:bowler', message: [1, 2], pattern: 'hat:b?wler' });
  sub.close();
  t.same(await it.next(), { value: undefined, done: true });
});

t.test('the subscription ends when the subscribing greenlet is killed', async (t) => {
  const bus = new RedisPubSub({ url: server.url });
  t.teardown(() => bus.close());
  let after = false;
  let outcome: unknown;
  const g = spawn(async () => {
    try {
      for await (const _ of await bus.subscribe('news')) void _;
      after = true; // code after the loop: never reached by a killed greenlet
    } catch (error) {
      outcome = error;
    }
  });
  await eventually(async () => (await subscriberCount()) > 0, 30);
  await g.kill();
  t.ok(g.dead);
  await eventually(async () => outcome !== undefined, 10);
  t.type(outcome, GreenletExit, 'the loop rejected with the kill');
  t.equal(after, false, 'the loop did not end normally');
  await eventually(async () => (await subscriberCount()) === 0, 10);
  t.equal(await subscriberCount(), 0, 'no subscribed connection left behind');
  t.equal(await bus.publish('news', 'anyone?'), 0);
});

t.test('a greenlet killed while it waits for a message: its wait ends with the kill, the next message goes to the next waiter', async (t) => {
  const bus = new RedisPubSub<string>({ url: server.url });
  t.teardown(() => bus.close());
  const sub = await bus.subscribe('alerts'); // outside every greenlet: killing a waiter does not end it
  let outcome: unknown = 'still waiting';
  const killed = spawn(async () => {
    try {
      await sub.next();
      outcome = 'got a message';
    } catch (error) {
      outcome = error;
    }
  });
  const next = spawn(() => sub.next());
  await sleep(0); // both greenlets run until they wait in next()
  await killed.kill();
  t.type(outcome, GreenletExit, 'the killed waiter\'s next() rejected with its kill');
  t.equal(await bus.publish('alerts', 'one'), 1);
  t.match(await next.get({ timeout: 10 }), { done: false, value: { topic: 'alerts', message: 'one' } }, 'the message went to the waiter still alive');
  t.notOk(sub.closed, 'the subscription goes on');
  sub.close();
  t.same(await sub.next(), { value: undefined, done: true });
});

t.test('a greenlet killed while subscribing leaves no connection', async (t) => {
  const bus = new RedisPubSub({ url: server.url });
  t.teardown(() => bus.close());
  const g = spawn(() => bus.subscribe('x'));
  await g.kill();
  await eventually(async () => (await subscriberCount()) === 0, 10);
  t.equal(await subscriberCount(), 0);
});

t.test('messages from programs that do not speak JSON arrive as strings; bad input', async (t) => {
  const bus = new RedisPubSub({ url: server.url });
  t.teardown(() => bus.close());
  const sub = await bus.subscribe('plain');
  await admin.publish('plain', 'not json');
  const it = sub[Symbol.asyncIterator]();
  t.same((await it.next()).value, { topic: 'plain', message: 'not json' });
  await t.rejects(bus.publish('plain', 1n), TypeError, 'BigInt: TypeError, nothing sent');
  await t.rejects(bus.publish('plain', 1n), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /"message" argument/ }, 'the error names publish\'s argument');
  await t.rejects(bus.publish('', 'x'), TypeError);
  await t.rejects(bus.subscribe(), TypeError);
  sub.close();
});

t.test('a loop bounded by withTimeout rejects with the Timeout; a reader in another greenlet sees the end', async (t) => {
  const bus = new RedisPubSub({ url: server.url });
  t.teardown(() => bus.close());
  await t.rejects(withTimeout(0.05, async () => {
    for await (const _ of await bus.subscribe('quiet')) void _;
  }), Timeout);
  let sub: Awaited<ReturnType<typeof bus.subscribe>> | undefined;
  const owner = spawn(async () => {
    sub = await bus.subscribe('shared');
    await sleep(60);
  });
  await eventually(() => sub !== undefined, 30);
  const reader = spawn(async () => {
    const seen: unknown[] = [];
    for await (const m of sub!) seen.push(m);
    return 'ended';
  });
  await sleep(0);
  await owner.kill();
  t.equal(await reader, 'ended', 'the other reader\'s loop ended normally');
});
