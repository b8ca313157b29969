import t from 'tap';
import pg from 'pg';
import { spawn, sleep, withTimeout, Timeout, GreenletExit, outsideScope } from '../src/runtime/index.js';
import { patchAll, unpatchAll } from '../src/patch/index.js';
import { cleanupAfterKill } from './helpers/cleanup-after-kill.js';
import { pgWorld, skipPostgres } from './helpers/postgres.js';

// pg and pg-pool after patchAll(): a query follows the greenlet that made it through the client's
// and the pool's queues. Every outcome is observed from the server (pg_stat_activity) through an
// observer connection made outside every greenlet.

patchAll({ dns: false });
t.teardown(unpatchAll);

t.test('pg', { skip: skipPostgres }, async (t) => {
  const world = await pgWorld(t);
  const { server } = world;
  const newPool = (t: { teardown(fn: () => unknown): void }, options: pg.PoolConfig = {}): pg.Pool => {
    const pool = new pg.Pool({ connectionString: server.url, ...options });
    t.teardown(() => pool.end().catch(() => {}));
    return pool;
  };

  t.test('the greenlet that opened a pooled connection dies: no crash, the connection stays', async (t) => {
    const pool = newPool(t);
    const errors: unknown[] = [];
    const onUncaught = (error: unknown): void => { errors.push(error); };
    process.on('uncaughtException', onUncaught);
    t.teardown(() => process.off('uncaughtException', onUncaught));
    const a = spawn(async () => {
      await pool.query('select 1');
      await sleep(60);
    });
    while (pool.idleCount !== 1) await sleep(0.01);
    const [pid] = await world.backends();
    await a.kill();
    t.ok(a.value instanceof GreenletExit);
    await sleep(0.1);
    t.same(errors, [], 'no unhandled error');
    t.equal(pool.totalCount, 1, 'the pool still has its connection');
    t.same(await world.backends(), [pid], 'the server still sees the same backend');
    const { rows } = await spawn(() => pool.query('select pg_backend_pid() as pid'));
    t.equal(rows[0].pid, pid, 'the next greenlet is served on it');
  });

  t.test("a queued greenlet never fails with the holder's Timeout", async (t) => {
    const pool = newPool(t, { max: 1 });
    const g1 = spawn(() => withTimeout(0.3, async () => {
      const client = await pool.connect();
      await client.query('select pg_sleep(60)');
      client.release();
    }));
    await world.untilRunning('select pg_sleep(60)', 1);
    const g2 = spawn(async () => (await pool.query('select 42 as answer')).rows[0].answer);
    t.equal(await withTimeout(20, () => g2.get()), 42, 'G2 is served');
    t.ok(g1.exception instanceof Timeout, 'G1 failed with its own Timeout');
    t.ok(await world.stoppedSoon('select pg_sleep(60)'), "G1's query no longer runs on the server");
  });

  t.test('killing a greenlet cancels its query on a connection another greenlet opened', async (t) => {
    const pool = newPool(t, { max: 1 });
    await spawn(() => pool.query('select 1')); // opened by a greenlet that is now gone
    const [pid] = await world.backends();
    const b = spawn(() => pool.query('select pg_sleep(60)'));
    await world.untilRunning('select pg_sleep(60)', 1);
    await b.kill();
    t.ok(await world.stoppedSoon('select pg_sleep(60)'), 'the server stopped the query');
    t.ok(b.value instanceof GreenletExit);
    // The cancel request keeps the connection: the same backend serves the next query.
    const { rows } = await spawn(() => pool.query('select pg_backend_pid() as pid'));
    t.equal(rows[0].pid, pid, 'the connection stayed in the pool');
    t.same(await world.backends(), [pid]);
  });

  t.test("a dead greenlet's queued query is never sent; it fails with its own reason", async (t) => {
    await outsideScope(() => world.observer.query('create table if not exists marks (who text)'));
    const client = new pg.Client(server.url);
    await outsideScope(() => client.connect());
    t.teardown(() => client.end().catch(() => {}));
    const holder = spawn(() => client.query('select pg_sleep(0.5)'));
    await world.untilRunning('select pg_sleep(0.5)', 1);
    const queued = spawn(() => client.query("insert into marks values ('dead')"));
    await sleep(0.01);
    const exit = new GreenletExit();
    await queued.kill({ exception: exit });
    t.equal(queued.value, exit, 'the killed greenlet ends with its own GreenletExit');
    await holder;
    t.equal(await spawn(async () => (await client.query("insert into marks values ('alive') returning who")).rows[0].who), 'alive');
    const { rows } = await outsideScope(() => world.observer.query('select who from marks order by who'));
    t.same(rows.map((r) => r.who), ['alive'], 'the dead greenlet\'s insert never ran');
  });

  t.test('50 queries under withTimeout(0.3) end on the server; the pool keeps serving', async (t) => {
    const pool = newPool(t, { max: 10 });
    const greenlets = Array.from({ length: 50 }, () => spawn(() => withTimeout(0.3, () => pool.query('select pg_sleep(60)'))));
    for (const g of greenlets) await g.join();
    t.ok(greenlets.every((g) => g.exception instanceof Timeout), 'every one failed with its Timeout');
    t.ok(await world.stoppedSoon('select pg_sleep(60)'), 'none runs on the server');
    t.ok((await world.backends()).length <= 10);
    t.equal(await spawn(async () => (await pool.query('select 7 as n')).rows[0].n), 7);
  });

  t.test('a greenlet killed while waiting for a checkout is never handed a connection', async (t) => {
    const pool = newPool(t, { max: 1 });
    const holder = spawn(async () => {
      const client = await pool.connect();
      await client.query('select pg_sleep(0.3)');
      client.release();
    });
    await world.untilRunning('select pg_sleep(0.3)', 1);
    let handed = false;
    const waiter = spawn(async () => {
      const client = await pool.connect();
      handed = true;
      client.release();
    });
    await sleep(0.01);
    await waiter.kill();
    await holder;
    t.equal(pool.waitingCount, 0, 'the dead checkout left the queue');
    t.equal(await spawn(async () => (await pool.query('select 1 as one')).rows[0].one), 1);
    t.notOk(handed, 'the dead greenlet never got the connection');
    t.equal(pool.totalCount, 1);
  });

  t.test('a greenlet killed while holding a checkout: its query is cancelled, the connection leaves the pool', async (t) => {
    const pool = newPool(t, { max: 1 });
    const g = spawn(async () => {
      const client = await pool.connect();
      await client.query('begin');
      await client.query('select pg_sleep(60)');
    });
    await world.untilRunning('select pg_sleep(60)', 1);
    await g.kill();
    t.ok(await world.stoppedSoon('select pg_sleep(60)'), 'the server stopped the query');
    while (pool.totalCount !== 0) await sleep(0.01);
    const { rows } = await spawn(() => pool.query('select 1 as one'));
    t.equal(rows[0].one, 1, 'the pool opens a fresh connection');
  });

  t.test('a pg.Client a greenlet connected itself ends with it; no unhandled error', async (t) => {
    let client: pg.Client | undefined;
    const g = spawn(async () => {
      client = new pg.Client(server.url);
      await client.connect();
      await client.query('select pg_sleep(60)');
    });
    await world.untilRunning('select pg_sleep(60)', 1);
    const pid = (client as unknown as { processID: number }).processID;
    t.ok((await world.backends()).includes(pid));
    await g.kill();
    t.ok(await world.stoppedSoon('select pg_sleep(60)'), 'the server stopped the query');
    while ((await world.backends()).includes(pid)) await sleep(0.01);
    t.pass('the server saw the connection close');
  });

  t.test('a killed greenlet\'s cleanup query runs, owned by nobody (the kill is delivered once)', async (t) => {
    const pool = newPool(t);
    // As in gevent: the kill reached the sleep, so the query after it runs (its scope owns nothing
    // new, so a later kill cannot reach it either).
    const { greenlet, seen } = await cleanupAfterKill(() => pool.query('select 1 as one'));
    t.same((seen as { rows?: unknown[] }).rows, [{ one: 1 }], 'the cleanup query was answered');
    t.equal(greenlet.ownedCount, 0, 'the dead greenlet owns nothing');
  });

  t.test('a kill that reached nothing the greenlet awaited is delivered to its next query, once', async (t) => {
    const pool = newPool(t);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const results: unknown[] = [];
    let entered = false;
    const g = spawn(async () => {
      entered = true;
      await gate; // a promise nobody owns: the kill reaches nothing here
      results.push(await pool.query('select 1 as one').catch((error: unknown) => error));
      results.push(await pool.query('select 2 as two').catch((error: unknown) => error));
    });
    while (!entered) await sleep(0.01);
    const exit = new GreenletExit();
    await g.kill({ exception: exit });
    release();
    while (results.length < 2) await sleep(0.01);
    t.equal(results[0], exit, 'the first query after the kill rejects with it, unsent');
    t.same((results[1] as { rows?: unknown[] }).rows, [{ two: 2 }], 'the next one runs');
  });
});
