import t from 'tap';
import { Event, Greenlet, GreenletExit, Group, Pool, sleep, spawn } from '../src/runtime/index.js';

t.test('a Pool of N never runs more than N at once, and spawn waits while full', async (t) => {
  const pool = new Pool(3);
  const gate = new Event();
  let running = 0;
  let most = 0;
  const job = async (): Promise<void> => {
    running++;
    most = Math.max(most, running);
    await gate.wait();
    await sleep(0.001);
    running--;
  };
  for (let i = 0; i < 3; i++) await pool.spawn(job);
  t.equal(pool.full(), true);
  t.equal(pool.freeCount(), 0);
  let resolved = false;
  const fourth = pool.spawn(job).then((s) => {
    resolved = true;
    return s;
  });
  await sleep(0.002);
  t.equal(resolved, false, 'spawn waits while the pool is full');
  t.equal(pool.waitingCount, 1);
  gate.set();
  const { greenlet } = await fourth;
  t.ok(greenlet instanceof Greenlet);
  for (let i = 0; i < 10; i++) await pool.spawn(job);
  t.equal(await pool.join(), true);
  t.equal(most, 3);
  t.equal(pool.length, 0);
  t.equal(pool.freeCount(), 3);
});

t.test('imap yields in item order, imapUnordered in completion order, map collects', async (t) => {
  const pool = new Pool(4);
  const slowFirst = async (n: number): Promise<number> => {
    await sleep((5 - n) * 0.01);
    return n * 10;
  };
  const ordered: number[] = [];
  for await (const v of pool.imap(slowFirst, [1, 2, 3, 4])) ordered.push(v);
  t.same(ordered, [10, 20, 30, 40]);
  // Completion order set by the test, not by timers: on a loaded machine 10 ms apart is no order.
  // Each task waits for its gate; the gate of the next one opens once the previous result arrived.
  const gates = new Map([1, 2, 3, 4].map((n) => [n, new Event()]));
  const gated = async (n: number): Promise<number> => {
    await gates.get(n)!.wait();
    return n * 10;
  };
  const unordered: number[] = [];
  gates.get(4)!.set();
  for await (const v of pool.imapUnordered(gated, [1, 2, 3, 4])) {
    unordered.push(v);
    gates.get(4 - unordered.length)?.set();
  }
  t.same(unordered, [40, 30, 20, 10]);
  t.same(await pool.map(async (n: number) => n + 1, [1, 2, 3, 4, 5, 6]), [2, 3, 4, 5, 6, 7]);
  t.same(await new Pool(2).map((n: number) => n * 2, (async function* () {
    yield 1;
    yield 2;
    yield 3;
  })()), [2, 4, 6], 'async iterables too');
  t.equal(await pool.apply((a: number, b: number) => a + b, [2, 3]), 5);
});

t.test('imap: a failure is thrown in its turn and the rest are killed; break kills the rest', async (t) => {
  const pool = new Pool(2);
  const started: number[] = [];
  const seen: number[] = [];
  await t.rejects((async () => {
    for await (const v of pool.imap(async (n: number) => {
      started.push(n);
      if (n === 2) throw new Error('two');
      await sleep(0.01);
      return n;
    }, [1, 2, 3, 4, 5])) seen.push(v);
  })(), /two/);
  t.same(seen, [1]);
  await sleep(0.02);
  t.equal(pool.length, 0, 'nothing left running');
  for await (const v of pool.imap(async (n: number) => {
    await sleep(0.01);
    return n;
  }, [1, 2, 3, 4])) {
    if (v === 1) break;
  }
  await sleep(0);
  t.equal(pool.length, 0, 'break killed the rest');
});

t.test('killing the pool kills its greenlets and rejects waiting spawns', async (t) => {
  const pool = new Pool(1);
  const { greenlet } = await pool.spawn(() => sleep(60));
  const waiting = t.rejects(pool.spawn(() => 'never'), GreenletExit);
  await sleep(0.01);
  await pool.kill();
  t.ok(greenlet.value instanceof GreenletExit);
  await waiting;
  t.equal(pool.length, 0);
  t.equal(pool.waitingCount, 0);
  const { greenlet: after } = await pool.spawn(() => 'reusable');
  t.equal(await after, 'reusable');
});

t.test('a spawner killed while waiting leaves the line', async (t) => {
  const pool = new Pool(1);
  const gate = new Event();
  const { greenlet: busy } = await pool.spawn(() => gate.wait());
  const order: string[] = [];
  const a = spawn(async () => { await pool.spawn(() => order.push('a')); });
  const b = spawn(async () => { await pool.spawn(() => order.push('b')); });
  await sleep(0.01);
  t.equal(pool.waitingCount, 2);
  await a.kill();
  t.equal(pool.waitingCount, 1);
  gate.set();
  await b;
  await busy;
  await pool.join();
  t.same(order, ['b']);
});

t.test('killing the spawner kills what it spawned in the pool', async (t) => {
  const pool = new Pool(2);
  let child: Greenlet | undefined;
  const parent = spawn(async () => {
    ({ greenlet: child } = await pool.spawn(() => sleep(60)));
    await sleep(60);
  });
  await sleep(0.01);
  await parent.kill();
  t.ok(child?.dead);
  t.equal(pool.length, 0);
});

t.test('waitAvailable, join timeout and raiseError, priority', async (t) => {
  const pool = new Pool(1);
  const go = new Event();
  await pool.spawn(() => go.wait());
  t.equal(await pool.waitAvailable({ timeout: 0.001 }), 0);
  t.equal(await pool.join({ timeout: 0.001 }), false);
  go.set();
  t.equal(await pool.waitAvailable(), 1);
  const order: string[] = [];
  await pool.spawn(() => sleep(0.01));
  const low = pool.spawnWith({ priority: 0 }, () => order.push('low'));
  const high = pool.spawnWith({ priority: 5 }, () => order.push('high'));
  await Promise.all([low, high]);
  await pool.join();
  t.same(order, ['high', 'low']);
  const boom = new Error('boom');
  await pool.spawn(async () => {
    await sleep(0.01);
    throw boom;
  });
  await t.rejects(pool.join({ raiseError: true }), boom);
});

t.test('rate limit: interval and intervalCap come from p-queue', async (t) => {
  const pool = new Pool(10, { interval: 0.05, intervalCap: 2 });
  const startedAt: number[] = [];
  const t0 = Date.now();
  await pool.map(() => startedAt.push(Date.now() - t0), [1, 2, 3, 4]);
  t.equal(startedAt.length, 4);
  t.ok(startedAt[2]! >= 40, 'the third start waited for the next window');
});

t.test('Group: spawn does not wait; add and discard', async (t) => {
  const group = new Group();
  const g1 = group.spawn(() => sleep(0.01));
  t.ok(g1 instanceof Greenlet);
  const g2 = spawn(() => sleep(60));
  group.add(g2);
  t.equal(group.length, 2);
  t.equal(group.has(g2), true);
  group.discard(g2);
  t.equal(group.has(g2), false);
  t.equal(await group.join(), true);
  t.equal(g2.dead, false, 'discard does not kill');
  await g2.kill();
  t.equal(group.full(), false);
  t.same(await group.map((n: number) => n * 2, [1, 2, 3]), [2, 4, 6]);
  const k = group.spawn(() => sleep(60));
  await group.kill();
  t.ok(k.value instanceof GreenletExit);
});

t.test('bad input', async (t) => {
  for (const bad of [0, -1, NaN, 2.5]) t.throws(() => new Pool(bad), { name: 'RangeError', message: /"size"/ });
  t.throws(() => new Pool('2' as never), { name: 'TypeError', message: /"size"/ });
  t.throws(() => new Pool(2, { intervalCap: 0 }), { name: 'RangeError', message: /"options.intervalCap"/ });
  t.throws(() => new Pool(2, { interval: -1 }), { name: 'RangeError', message: /"options.interval"/ });
  await t.rejects(new Pool(1).spawn(1 as never), { name: 'TypeError', message: /"fn"/ });
  t.throws(() => new Group().spawn(1 as never), TypeError);
  t.throws(() => new Group().imap(1 as never, []), TypeError);
  t.throws(() => new Group().imap((x) => x, 5 as never), { name: 'TypeError', message: /"items"/ });
});

t.test('spawns dropped while they wait (gevent\'s loop of pool.spawn) do not crash when the pool is killed', async (t) => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  t.teardown(() => void process.off('unhandledRejection', onUnhandled));
  const pool = new Pool(2);
  for (let i = 0; i < 5; i++) void pool.spawn(() => sleep(10));
  const awaited = pool.spawn(() => sleep(10));
  while (pool.length < 2) await sleep(0.001);
  await pool.kill();
  await t.rejects(awaited, GreenletExit, 'a caller that awaits still sees the kill');
  await new Promise((resolve) => setImmediate(resolve));
  t.same(unhandled, []);
  t.equal(pool.length, 0);
});
