import t from 'tap';
import { spawn as spawnProcess, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { createClient } from 'redis';
import { RedisQueue } from '../src/redis/index.js';
import { findRedisServer, startRedisServer, type RedisServer } from '../src/testing/redis-server.js';

if (findRedisServer() === null) {
  t.plan(0, 'redis-server not found on PATH (install redis-server, see .ci/run/pretest)');
  process.exit(0);
}

const script = fileURLToPath(new URL('./fixtures/redis-consumer.mjs', import.meta.url));
// Consumer processes are plain node: the library is transpiled once, here, into a directory under
// node_modules/.cache (so `redis` resolves from the project), instead of loading the TypeScript
// loader in every child (seconds per start on a busy machine; these tests restart children often).
const root = new URL('../', import.meta.url);
const lib = new URL(`node_modules/.cache/nodevent-redis-test-${process.pid}/`, root);
for (const area of ['runtime', 'redis']) {
  const from = new URL(`src/${area}/`, root);
  const to = new URL(`${area}/`, lib);
  mkdirSync(to, { recursive: true });
  for (const file of readdirSync(from).filter((f) => f.endsWith('.ts'))) {
    const out = ts.transpileModule(readFileSync(new URL(file, from), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    writeFileSync(new URL(file.replace(/\.ts$/, '.js'), to), out.outputText);
  }
}
t.teardown(() => rmSync(lib, { recursive: true, force: true }));

interface Consumer { proc: ChildProcess; taken: Set<string>; exited: Promise<void> }
const children = new Set<ChildProcess>();
t.teardown(() => { for (const c of children) c.kill('SIGKILL'); });

function startConsumer(server: RedisServer, queue: string, env: Record<string, string> = {}): Consumer {
  const { NODE_OPTIONS: _drop, ...rest } = process.env;
  const proc = spawnProcess(process.execPath, [script], {
    env: { ...rest, NODEVENT_LIB: lib.href, REDIS_URL: server.url, QUEUE: queue, LEASE: '1', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(proc);
  const taken = new Set<string>();
  const consumer: Consumer = {
    proc, taken,
    exited: new Promise((resolve) => proc.once('exit', () => { children.delete(proc); resolve(); })),
  };
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    if (line.startsWith('taken ')) taken.add(line.slice(6));
    proc.emit('taken', line.slice(6));
  });
  return consumer;
}

const waitFor = async (check: () => boolean | Promise<boolean>, seconds: number, what: string): Promise<void> => {
  const end = Date.now() + seconds * 1000;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

async function kill(consumer: Consumer): Promise<void> {
  consumer.proc.kill('SIGKILL');
  await consumer.exited;
}

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
