// RedisQueue across a Redis crash and restart: no acknowledged item is lost, and the consumers
// reconnect and end cleanly. (Consumers dying are in redis-reliability.test.ts.)
import t from 'tap';
import { createClient } from 'redis';
import { RedisQueue } from '../src/redis/index.js';
import { Empty } from '../src/runtime/index.js';
import { findRedisServer, startRedisServer } from '../src/testing/redis-server.js';
import { consumers, waitFor } from './helpers/redis-consumers.js';

if (findRedisServer() === null) {
  t.plan(0, 'redis-server not found on PATH (install redis-server, see .ci/run/pretest)');
  process.exit(0);
}

const startConsumer = consumers(t).start;

t.test('Redis restarted mid-run (appendonly, fsync always): no acknowledged item lost', async (t) => {
  const server = await startRedisServer({ appendonly: true });
  t.teardown(() => server.stop());
  const name = 'restart';
  const total = 2000;
  const q = new RedisQueue<{ id: number }>(name, { url: server.url, lease: 1 });
  t.teardown(() => q.close());
  const consumers = [0, 1].map(() => startConsumer(server, name, { WORK_MS: '1' }));
  const acknowledged = new Set<number>();
  let restarting: Promise<void> | undefined;
  for (let id = 0; id < total; id++) {
    // Crash (SIGKILL) and restart while puts, gets and taskDones are in flight.
    if (id === total / 2) restarting = server.restart({ kill: true, downSeconds: 0.3 });
    await q.put({ id });
    acknowledged.add(id);
  }
  await restarting;
  const redis = createClient({ url: server.url });
  await redis.connect();
  t.teardown(() => redis.destroy());
  try {
    await waitFor(async () => (await redis.sCard(`${name}:results`)) >= acknowledged.size, 60, 'every task to be recorded');
  } catch (error) {
    // Say where the missing items are before failing: pending, a working list, or nowhere.
    const recorded = new Set((await redis.sMembers(`${name}:results`)).map(Number));
    const missing = [...acknowledged].filter((id) => !recorded.has(id));
    t.comment(`missing ${missing.length}: ${missing.slice(0, 20).join(', ')}`);
    t.comment(`stats ${JSON.stringify({ ...(await q.stats()), expired: undefined, running: undefined })}`);
    t.comment(`consumers' exit codes: ${consumers.map((c) => c.proc.exitCode).join(', ')}`);
    throw error;
  }
  const results = new Set((await redis.sMembers(`${name}:results`)).map(Number));
  t.equal([...acknowledged].filter((id) => !results.has(id)).length, 0, 'no acknowledged item lost');
  t.equal(await q.join({ timeout: 30 }), true);
  await q.shutdown();
  await Promise.all(consumers.map((c) => c.exited));
  t.ok(consumers.every((c) => c.proc.exitCode === 0), 'consumers reconnected and ended cleanly');
});

t.test('Redis away during get({ timeout }) and join({ timeout }): Empty and false at the deadline, close() resolves, nothing is lost', async (t) => {
  const server = await startRedisServer({ appendonly: true });
  t.teardown(() => server.stop());
  const q = new RedisQueue<string>('away', { url: server.url, codec: 'string' });
  t.teardown(() => q.close());
  const leaving = new RedisQueue<string>('away', { url: server.url, codec: 'string' });
  await q.put('kept');
  t.equal(await leaving.qsize(), 1, 'both connected');
  const down = server.restart({ kill: true, downSeconds: 3 });
  const reachable = async (): Promise<boolean> => {
    const probe = createClient({ url: server.url, socket: { reconnectStrategy: false, connectTimeout: 500 } });
    probe.on('error', () => {});
    try {
      await probe.connect();
      await probe.destroy();
      return true;
    } catch {
      return false;
    }
  };
  await waitFor(async () => !(await reachable()), 10, 'redis-server to go away');
  const started = Date.now();
  await t.rejects(q.get({ timeout: 0.3 }), Empty, 'Empty at the deadline, though the server is away');
  t.equal(await q.join({ timeout: 0.3 }), false, 'join: false at the deadline');
  t.ok(Date.now() - started < 2500, `not held until the server is back (${Date.now() - started} ms)`);
  const closing = Date.now();
  await leaving.close();
  t.ok(Date.now() - closing < 6000, 'close() of a consumer resolves with the server away');
  await down;
  t.equal(await q.get({ timeout: 10 }), 'kept', 'the timed-out get took nothing: the item is still there');
  await q.taskDone();
  t.equal(await q.join({ timeout: 10 }), true);
});
