import t from 'tap';
import mysql from 'mysql2/promise';
import mysqlCallbacks from 'mysql2';
import { spawn, sleep, withTimeout, Timeout, GreenletExit, outsideScope } from '../src/runtime/index.js';
import { patchAll, unpatchAll } from '../src/patch/index.js';
import { findMariadb, startMariadbServer } from '../src/testing/mariadb-server.js';

// mysql2 after patchAll(): statements keep their greenlet through the connection's and the pool's
// queues. Outcomes are observed from the server (information_schema.processlist) through an
// observer connection made outside every greenlet.

patchAll({ dns: false });
t.teardown(unpatchAll);

const skip = findMariadb() === null ? 'MariaDB is not installed (Debian package mariadb-server)' : false;

t.test('mysql2', { skip }, async (t) => {
  const server = await startMariadbServer();
  t.teardown(() => server.stop({ kill: true }));
  const config = { host: server.host, port: server.port, user: server.user };
  const observer = await outsideScope(() => mysql.createConnection(config));
  t.teardown(() => observer.end().catch(() => {}));
  await outsideScope(() => observer.query('create database if not exists t'));
  const running = async (like: string): Promise<number> => {
    const [rows] = await outsideScope(() => observer.query(
      "select count(*) as n from information_schema.processlist where command = 'Query' and info like ? and id <> connection_id()", [like]));
    return Number((rows as { n: number }[])[0]!.n);
  };
  const untilRunning = async (like: string, n: number): Promise<void> => {
    while ((await running(like)) !== n) await sleep(0.01);
  };
  // For "the server stopped it": long before the statement's own end (60 s), but with room for a
  // loaded machine. Bounded, so that a statement left running fails the test instead of hanging it.
  const stoppedSoon = async (like: string): Promise<boolean> => {
    for (let i = 0; i < 1500; i++) {
      if ((await running(like)) === 0) return true;
      await sleep(0.01);
    }
    return false;
  };
  const connections = async (): Promise<number[]> => {
    const [rows] = await outsideScope(() => observer.query(
      "select id from information_schema.processlist where user = 'root' and id <> connection_id() and command <> 'Daemon' order by id"));
    return (rows as { id: number }[]).map((r) => Number(r.id));
  };
  const newPool = (t: { teardown(fn: () => unknown): void }, options: Record<string, unknown> = {}) => {
    const pool = mysql.createPool({ ...config, ...options });
    t.teardown(() => pool.end().catch(() => {}));
    return pool;
  };

  t.test('killing a greenlet stops its query on the server; the pooled connection stays', async (t) => {
    const pool = newPool(t, { connectionLimit: 1 });
    await spawn(() => pool.query('select 1')); // opened by a greenlet that is now gone
    const [id] = await connections();
    const g = spawn(() => pool.query('select sleep(60)'));
    await untilRunning('select sleep(60)', 1);
    await g.kill();
    t.ok(g.value instanceof GreenletExit);
    t.ok(await stoppedSoon('select sleep(60)'), 'the server stopped the query');
    const [rows] = await spawn(() => pool.query('select connection_id() as id'));
    t.equal(Number((rows as { id: number }[])[0]!.id), id, 'the same connection serves the next greenlet');
  });

  t.test("a queued greenlet never fails with the holder's Timeout", async (t) => {
    const pool = newPool(t, { connectionLimit: 1 });
    const g1 = spawn(() => withTimeout(0.3, async () => {
      const conn = await pool.getConnection();
      await conn.query('select sleep(60)');
      conn.release();
    }));
    await untilRunning('select sleep(60)', 1);
    const g2 = spawn(async () => ((await pool.query('select 42 as answer'))[0] as { answer: number }[])[0]!.answer);
    t.equal(await withTimeout(20, () => g2.get()), 42, 'G2 is served');
    t.ok(g1.exception instanceof Timeout);
    t.ok(await stoppedSoon('select sleep(60)'), "the server stopped G1's query");
  });

  t.test("a dead greenlet's queued statement is never sent; it fails with its own reason", async (t) => {
    await outsideScope(() => observer.query('create table if not exists t.marks (who varchar(10))'));
    const conn = await outsideScope(() => mysql.createConnection(config));
    t.teardown(() => conn.end().catch(() => {}));
    const holder = spawn(() => conn.query('select sleep(0.5)'));
    await untilRunning('select sleep(0.5)', 1);
    const queued = spawn(() => conn.query("insert into t.marks values ('dead')"));
    await sleep(0.01);
    const exit = new GreenletExit();
    await queued.kill({ exception: exit });
    t.equal(queued.value, exit);
    await holder;
    await spawn(() => conn.query("insert into t.marks values ('alive')"));
    const [rows] = await outsideScope(() => observer.query('select who from t.marks'));
    t.same((rows as { who: string }[]).map((r) => r.who), ['alive'], "the dead greenlet's insert never ran");
  });

  t.test('a greenlet killed while waiting for a connection is never handed one', async (t) => {
    const pool = newPool(t, { connectionLimit: 1 });
    const holder = spawn(async () => {
      const conn = await pool.getConnection();
      await conn.query('select sleep(0.3)');
      conn.release();
    });
    await untilRunning('select sleep(0.3)', 1);
    let handed = false;
    const waiter = spawn(async () => {
      const conn = await pool.getConnection();
      handed = true;
      conn.release();
    });
    await sleep(0.01);
    await waiter.kill();
    await holder;
    t.equal(((await spawn(() => pool.query('select 1 as one')))[0] as { one: number }[])[0]!.one, 1);
    t.notOk(handed);
  });

  t.test('a connection a greenlet created itself dies with it: query stopped, no unhandled error', async (t) => {
    let conn: ReturnType<typeof mysqlCallbacks.createConnection> | undefined;
    const g = spawn(() => new Promise((resolve, reject) => {
      conn = mysqlCallbacks.createConnection(config);
      conn.query('select sleep(60)', (err: unknown, rows: unknown) => (err ? reject(err) : resolve(rows)));
    }));
    await untilRunning('select sleep(60)', 1);
    const id = conn!.threadId!;
    t.ok((await connections()).includes(id));
    await g.kill();
    t.ok(await stoppedSoon('select sleep(60)'), 'the server stopped the query');
    while ((await connections()).includes(id)) await sleep(0.01);
    t.pass('the server saw the connection close');
  });

  t.test('a greenlet killed between statements of its transaction: connection closed, transaction gone, pool goes on', async (t) => {
    await outsideScope(() => observer.query('create table if not exists t.tx (v int) engine=innodb'));
    const openTransactions = async (): Promise<number> => {
      const [rows] = await outsideScope(() => observer.query('select count(*) as n from information_schema.innodb_trx'));
      return Number((rows as { n: number }[])[0]!.n);
    };
    const pool = newPool(t, { connectionLimit: 1 });
    let id: number | undefined;
    const g = spawn(async () => {
      const conn = await pool.getConnection();
      await conn.query('begin');
      await conn.query('insert into t.tx values (1)');
      id = conn.threadId;
      await sleep(60); // killed here: no statement runs on the connection
    });
    while (id === undefined) await sleep(0.01);
    t.equal(await openTransactions(), 1, 'the transaction is open');
    await g.kill();
    t.ok(g.value instanceof GreenletExit);
    while ((await connections()).includes(id)) await sleep(0.01);
    t.pass('the server saw the held connection close');
    // InnoDB refreshes innodb_trx only after 0.1 s without a read of it: poll more slowly than that.
    while ((await openTransactions()) !== 0) await sleep(0.2);
    t.pass('its transaction ended with it');
    const [rows] = await spawn(() => withTimeout(10, () => pool.query('select count(*) as n from t.tx')));
    t.equal(Number((rows as { n: number }[])[0]!.n), 0, 'the pool serves the next greenlet; the insert was rolled back');
  });

  t.test('a connection a greenlet created itself, idle when killed, is closed', async (t) => {
    let conn: ReturnType<typeof mysqlCallbacks.createConnection> | undefined;
    let id: number | undefined;
    const g = spawn(async () => {
      conn = mysqlCallbacks.createConnection(config);
      await new Promise((resolve, reject) => conn!.query('select 1', (err: unknown, rows: unknown) => (err ? reject(err) : resolve(rows))));
      id = conn.threadId!;
      await sleep(60);
    });
    while (id === undefined) await sleep(0.01);
    t.ok((await connections()).includes(id));
    await g.kill();
    t.ok(g.value instanceof GreenletExit);
    while ((await connections()).includes(id)) await sleep(0.01);
    t.pass('the server saw the connection close');
  });

  t.test("a KILL QUERY that arrives after the statement ended never stops the next greenlet's statement", async (t) => {
    const pool = newPool(t, { connectionLimit: 1 });
    await spawn(() => pool.query('select 1'));
    const raw = (pool as unknown as { pool: { _freeConnections: { get(i: number): { stream: import('node:net').Socket } } } }).pool._freeConnections.get(0);
    const g1 = spawn(() => pool.query('select sleep(0.1) as s1'));
    await untilRunning('select sleep(0.1)%', 1);
    // The client stops reading: the statement ends on the server, its reply waits unread, and the
    // kill comes while the client still sees the statement running.
    raw.stream.pause();
    await untilRunning('select sleep(0.1)%', 0);
    const g2 = spawn(() => pool.query('select sleep(0.3) as s2'));
    await g1.kill();
    t.ok(g1.value instanceof GreenletExit);
    raw.stream.resume();
    const [rows] = await withTimeout(10, () => g2.get());
    t.same(rows, [{ s2: 0 }], "the next greenlet's statement ran to its end (sleep() says 1 when killed)");
  });

  t.test('a pooled connection opened by a greenlet survives its death', async (t) => {
    const pool = newPool(t, { connectionLimit: 2 });
    let id: number | undefined;
    const a = spawn(async () => {
      const [rows] = await pool.query('select connection_id() as id');
      id = Number((rows as { id: number }[])[0]!.id);
      await sleep(60);
    });
    while (id === undefined) await sleep(0.01);
    await a.kill();
    await sleep(0.05);
    t.ok((await connections()).includes(id), 'the connection is still open');
    t.equal(((await spawn(() => pool.query('select 2 as two')))[0] as { two: number }[])[0]!.two, 2);
  });
});
