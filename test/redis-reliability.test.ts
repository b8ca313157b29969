// RedisQueue's at-least-once delivery when consumer processes die: a SIGKILLed consumer's task is
// delivered again after its lease, and none of 10,000 tasks is lost. (A Redis restart is in
// redis-restart.test.ts.)
import t from 'tap';
import { createClient } from 'redis';
import { RedisQueue } from '../src/redis/index.js';
import { findRedisServer, startRedisServer } from '../src/testing/redis-server.js';
import { consumers, kill, waitFor } from './helpers/redis-consumers.js';

if (findRedisServer() === null) {
  t.plan(0, 'redis-server not found on PATH (install redis-server, see .ci/run/pretest)');
  process.exit(0);
}

const startConsumer = consumers(t).start;

t.test('a consumer SIGKILLed in the middle of a task: the item is delivered again', async (t) => {
  const server = await startRedisServer();
  t.teardown(() => server.stop());
  const q = new RedisQueue<{ id: string }>('sigkill', { url: server.url, lease: 1 });
  t.teardown(() => q.close());
  const slow = startConsumer(server, 'sigkill', { WORK_MS: '60000' });
  await q.put({ id: 'dish-1' });
  await waitFor(() => slow.taken.has('dish-1'), 30, 'the first consumer to take the task');
  t.match(await q.stats(), { pending: 0, working: 1 });
  await kill(slow);
  const fast = startConsumer(server, 'sigkill');
  t.equal(await q.join({ timeout: 30 }), true, 'the task was done by the second consumer');
  t.ok(fast.taken.has('dish-1'), 'delivered again');
  const stats = await q.stats();
  t.match(stats, { pending: 0, working: 0, done: 1, unfinished: 0, requeued: 1 });
  t.same(stats.expired.map((e) => e.item), [{ id: 'dish-1' }], 'stats name the item that ran too long');
  await q.shutdown();
  await fast.exited;
  t.equal(fast.proc.exitCode, 0);
});

t.test('10,000 tasks, three consumers, one SIGKILLed every few hundred tasks: none lost', async (t) => {
  const server = await startRedisServer();
  t.teardown(() => server.stop());
  const name = 'many';
  const total = 10_000;
  const q = new RedisQueue<{ id: number }>(name, { url: server.url, lease: 1 });
  t.teardown(() => q.close());
  const redis = createClient({ url: server.url });
  await redis.connect();
  t.teardown(() => redis.destroy());
  for (let i = 0; i < total; i += 500) {
    await Promise.all(Array.from({ length: Math.min(500, total - i) }, (_, j) => q.put({ id: i + j })));
  }
  const consumers = [0, 1, 2].map(() => startConsumer(server, name, { WORK_MS: '1' }));
  let kills = 0;
  let next = 300 + Math.floor(Math.random() * 300);
  await waitFor(async () => {
    const done = await redis.sCard(`${name}:results`);
    if (done >= next && done < total) {
      const at = Math.floor(Math.random() * consumers.length);
      await kill(consumers[at]!);
      consumers[at] = startConsumer(server, name, { WORK_MS: '1' });
      kills++;
      next = done + 300 + Math.floor(Math.random() * 300);
    }
    return done === total;
  }, 80, 'every task to be recorded');
  t.equal(await q.join({ timeout: 30 }), true, 'join: every task marked done');
  const deliveries = Number(await redis.get(`${name}:deliveries`));
  const stats = await q.stats();
  t.equal(await redis.sCard(`${name}:results`), total, 'every task done, none lost');
  t.ok(kills >= 5, `consumers were killed (${kills})`);
  t.ok(deliveries >= total, 'at-least-once: duplicates allowed');
  t.comment(`${kills} kills, ${deliveries - total} duplicate deliveries, ${stats.requeued} items requeued`);
  t.match(stats, { pending: 0, working: 0, unfinished: 0 });
  await q.shutdown();
  await Promise.all(consumers.map((c) => c.exited));
});
