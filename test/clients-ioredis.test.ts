import t from 'tap';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { spawn, sleep, withTimeout, GreenletExit, Timeout, outsideScope } from '../src/runtime/index.js';
import { patchAll, unpatchAll } from '../src/patch/index.js';
import { findRedisServer, startRedisServer } from '../src/testing/redis-server.js';
import { cleanupAfterKill } from './helpers/cleanup-after-kill.js';
import { runChild } from './helpers/child.js';

// ioredis after patchAll(): commands keep their greenlet; connecting and reconnecting belong to
// the client. Outcomes are observed from the server (CLIENT LIST, INFO, LLEN) through an observer
// client made outside every greenlet.

patchAll({ dns: false });
t.teardown(unpatchAll);

const skip = findRedisServer() === null ? 'redis-server is not installed (Debian package redis-server)' : false;

t.test('ioredis', { skip }, async (t) => {
  // Also on ::1 and a unix socket, where CLIENT LIST shows no address the client could match.
  const unixSocket = join(tmpdir(), `nodevent-ioredis-${process.pid}.sock`);
  const server = await startRedisServer({ args: ['--bind', '127.0.0.1 ::1', '--unixsocket', unixSocket] });
  t.teardown(async () => {
    await server.stop({ kill: true });
    rmSync(unixSocket, { force: true });
  });
  const observer = outsideScope(() => new Redis(server.port, '127.0.0.1'));
  t.teardown(() => observer.disconnect());
  const newClient = (t: { teardown(fn: () => unknown): void }, options: Record<string, unknown> = {}): Redis => {
    const client = new Redis({ port: server.port, host: '127.0.0.1', ...options });
    t.teardown(() => client.disconnect());
    return client;
  };
  const blocked = async (): Promise<number> => Number(/blocked_clients:(\d+)/.exec(await outsideScope(() => observer.info('clients')))![1]);
  const untilBlocked = async (n: number): Promise<void> => {
    while ((await blocked()) !== n) await sleep(0.01);
  };
  const clientIds = async (): Promise<string[]> => {
    const list = (await outsideScope(() => observer.client('LIST', 'TYPE', 'normal'))) as string;
    const self = String(await outsideScope(() => observer.client('ID')));
    return list.trim().split('\n').map((l) => /id=(\d+)/.exec(l)![1]!).filter((id) => id !== self);
  };

  t.test('a client created lazily inside a greenlet survives its death and reconnects', async (t) => {
    let client: Redis | undefined;
    const l = spawn(async () => {
      client = newClient(t, { lazyConnect: true });
      await client.set('k', 'v');
      await sleep(60);
    });
    while (client === undefined || client.status !== 'ready') await sleep(0.01);
    const [id] = await clientIds();
    await l.kill();
    t.ok(l.value instanceof GreenletExit);
    t.equal(await spawn(() => withTimeout(5, () => client!.get('k'))), 'v', 'other greenlets are served');
    t.same(await clientIds(), [id], 'on the same connection');
    // The server drops it: ioredis reconnects from the socket's handlers, outside every scope.
    await outsideScope(() => observer.client('KILL', 'ID', id!));
    t.equal(await spawn(() => withTimeout(5, () => client!.get('k'))), 'v', 'served after the reconnect');
    const after = await clientIds();
    t.equal(after.length, 1, 'one new connection');
    t.not(after[0], id);
  });

  t.test('a killed BLPOP on a shared client: unblocked on the server, pops nothing, not re-sent', async (t) => {
    await outsideScope(() => observer.del('q'));
    const shared = newClient(t);
    await outsideScope(() => shared.ping());
    const k = spawn(() => shared.blpop('q', 0));
    await untilBlocked(1);
    // Another greenlet's command, queued behind K's BLPOP on the same connection.
    const other = spawn(() => shared.get('nothing'));
    await sleep(0.01);
    await k.kill();
    t.ok(k.value instanceof GreenletExit);
    await untilBlocked(0);
    t.equal(await withTimeout(5, () => other.get()), null, 'the command queued behind it proceeds');
    await outsideScope(() => observer.rpush('q', 'item-after-death'));
    t.equal(await spawn(() => shared.llen('q')), 1, 'the item pushed after the death stays in the list');
    // A reconnect re-sends unanswered commands: never the dead greenlet's.
    const [id] = await clientIds();
    await outsideScope(() => observer.client('KILL', 'ID', id!));
    t.equal(await spawn(() => withTimeout(5, () => shared.ping())), 'PONG');
    t.equal(await blocked(), 0, 'nothing blocks after the reconnect');
    t.equal(await outsideScope(() => observer.llen('q')), 1, 'the item is still there');
  });

  t.test("a dead greenlet's command that waits in the offline queue is never sent", async (t) => {
    await outsideScope(() => observer.del('offline'));
    const client = newClient(t, { lazyConnect: true });
    // While it connects, commands wait in ioredis's offline queue.
    const dead = spawn(() => client.incr('offline'));
    const alive = spawn(async () => {
      await sleep(0.05);
      return client.incr('offline');
    });
    await dead.kill();
    t.equal(await alive, 1, 'only the live greenlet\'s INCR ran');
    t.equal(await outsideScope(() => observer.get('offline')), '1');
  });

  t.test('a killed BLPOP while the reply is not yet possible does not break the next BLPOP', async (t) => {
    await outsideScope(() => observer.del('q2'));
    const shared = newClient(t);
    await outsideScope(() => shared.ping());
    for (let i = 0; i < 5; i++) {
      const k = spawn(() => shared.blpop('q2', 0));
      await untilBlocked(1);
      await k.kill();
      await untilBlocked(0);
    }
    const consumer = spawn(() => shared.blpop('q2', 0));
    await untilBlocked(1);
    await outsideScope(() => observer.rpush('q2', 'x'));
    t.same(await consumer, ['q2', 'x'], 'a live consumer gets the item');
  });

  t.test("a killed blocking command made with call('BLPOP') (upper case) is unblocked", async (t) => {
    await outsideScope(() => observer.del('qu'));
    const shared = newClient(t);
    await outsideScope(() => shared.ping());
    const [id] = await clientIds();
    const k = spawn(() => shared.call('BLPOP', 'qu', 0));
    await untilBlocked(1);
    await k.kill();
    t.ok(k.value instanceof GreenletExit);
    await untilBlocked(0);
    await outsideScope(() => observer.rpush('qu', 'after-death'));
    t.equal(await spawn(() => withTimeout(5, () => shared.llen('qu'))), 1, 'nothing was popped for the dead greenlet');
    t.ok((await clientIds()).includes(id!), 'on the same connection');
  });

  for (const [label, options] of [['::1', { host: '::1', port: server.port }], ['a unix socket', { path: unixSocket }]] as const) {
    t.test(`over ${label}: a killed BLPOP is unblocked on the server, the connection is kept`, async (t) => {
      const key = `q-${label}`;
      await outsideScope(() => observer.del(key));
      const shared = outsideScope(() => new Redis(options));
      t.teardown(() => shared.disconnect());
      let reconnects = 0;
      shared.on('reconnecting', () => reconnects++);
      await outsideScope(() => shared.ping());
      const before = await clientIds();
      const k = spawn(() => shared.blpop(key, 0));
      await untilBlocked(1);
      const other = spawn(() => shared.get('nothing'));
      await k.kill();
      await untilBlocked(0);
      t.equal(await withTimeout(5, () => other.get()), null, 'the command queued behind it proceeds');
      await outsideScope(() => observer.rpush(key, 'after-death'));
      t.equal(await spawn(() => withTimeout(5, () => shared.llen(key))), 1, 'nothing was popped for the dead greenlet');
      t.equal(reconnects, 0, 'unblocked, not closed');
      const after = await clientIds();
      t.ok(before.every((id) => after.includes(id)), 'the connection is the same');
    });
  }

  t.test("a killed BLPOP behind another greenlet's long BLPOP waits for its turn, then is unblocked", async (t) => {
    await outsideScope(() => observer.del('q5'));
    const shared = newClient(t);
    let reconnects = 0;
    shared.on('reconnecting', () => reconnects++);
    await outsideScope(() => shared.ping());
    const first = spawn(() => shared.blpop('q5', 0));
    await untilBlocked(1);
    const second = spawn(() => shared.blpop('q5', 0));
    while (shared.commandQueue.length < 2) await sleep(0.01);
    await second.kill();
    t.ok(second.value instanceof GreenletExit);
    // Longer than the 0.8 s after which the patch once gave up and closed the connection.
    await sleep(1.2);
    t.equal(await blocked(), 1, 'the first BLPOP still waits');
    t.equal(reconnects, 0, 'the shared connection was not closed');
    await outsideScope(() => observer.rpush('q5', 'x'));
    t.same(await withTimeout(5, () => first.get()), ['q5', 'x'], 'the first BLPOP gets the item');
    await untilBlocked(0);
    await outsideScope(() => observer.rpush('q5', 'after-death'));
    t.equal(await spawn(() => withTimeout(5, () => shared.llen('q5'))), 1, 'nothing was popped for the dead greenlet');
    t.equal(reconnects, 0);
  });

  t.test('enableAutoPipelining: each command of the implicit pipeline belongs to its greenlet', async (t) => {
    await outsideScope(() => observer.del('qa', 'ca', 'cb', 'cc'));
    const auto = newClient(t, { enableAutoPipelining: true });
    let reconnects = 0;
    auto.on('reconnecting', () => reconnects++);
    await outsideScope(() => auto.ping());

    // A blocking command written by a pipeline: unblocked on the server.
    const k = spawn(() => auto.blpop('qa', 0));
    await untilBlocked(1);
    const other = spawn(() => auto.get('nothing'));
    await k.kill();
    t.ok(k.value instanceof GreenletExit);
    await untilBlocked(0);
    t.equal(await withTimeout(5, () => other.get()), null, 'the command behind it proceeds');
    await outsideScope(() => observer.rpush('qa', 'after-death'));
    t.equal(await spawn(() => withTimeout(5, () => auto.llen('qa'))), 1, 'nothing was popped for the dead greenlet');

    // Killed while gathered, before the pipeline runs: never applied; the pipeline answers the rest.
    let made = false;
    const dead = spawn(() => {
      const reply = auto.incr('ca');
      made = true;
      return reply;
    });
    const alive = spawn(() => auto.incr('cb'));
    while (!made) await new Promise((resolve) => process.nextTick(resolve));
    t.ok((auto as unknown as { _autoPipelines: Map<string, unknown> })._autoPipelines.has('main'), 'gathered, not sent yet');
    await dead.kill();
    t.ok(dead.value instanceof GreenletExit);
    t.equal(await withTimeout(5, () => alive.get()), 1);
    t.same(await outsideScope(() => observer.mget('ca', 'cb')), [null, '1'], "the dead greenlet's INCR never ran");
    t.equal(reconnects, 0);

    // Killed while its pipeline waits in the offline queue: never written after the reconnect.
    const lazy = newClient(t, { enableAutoPipelining: true, lazyConnect: true });
    const deadOffline = spawn(() => lazy.incr('cc'));
    const aliveOffline = spawn(async () => {
      await sleep(0.05);
      return lazy.incr('cc');
    });
    // Polled between event-loop turns: connecting and the ready check take two I/O turns at least,
    // so the queue cannot fill and drain unseen (a 1 ms timer could miss it on a busy machine).
    while (lazy.offlineQueue.length === 0) await new Promise((resolve) => setImmediate(resolve));
    await deadOffline.kill();
    t.equal(await withTimeout(5, () => aliveOffline.get()), 1, "only the live greenlet's INCR ran");
    t.equal(await outsideScope(() => observer.get('cc')), '1');
    t.same(await spawn(() => Promise.all([lazy.set('x', 'y'), lazy.get('x'), lazy.incr('cc')])), ['OK', 'y', 2], 'replies stay in step');
  });

  // Transactions opened with multi({ pipeline: false }): MULTI is written at once, and the
  // connection queues every command written on it until EXEC or DISCARD.
  const discards = async (): Promise<number> => {
    const info = (await outsideScope(() => observer.info('commandstats'))) as string;
    const m = /cmdstat_discard:calls=(\d+),[^\r\n]*rejected_calls=(\d+),failed_calls=(\d+)/.exec(info);
    return m === null ? 0 : Number(m[1]) + Number(m[2]) + Number(m[3]);
  };
  const idOf = async (client: Redis): Promise<string> => String(await outsideScope(() => client.client('ID')));
  /** A shared client, connected, with its reconnects counted and its connection's server id. */
  const sharedClient = async (t: Parameters<typeof newClient>[0]): Promise<{ shared: Redis; reconnects: () => number; id: string }> => {
    const shared = newClient(t);
    let reconnects = 0;
    shared.on('reconnecting', () => reconnects++);
    return { shared, reconnects: () => reconnects, id: await idOf(shared) };
  };
  /** The shared client still talks over the connection it had: not closed, not reconnected. */
  const sameConnection = async (t: Parameters<typeof newClient>[0], shared: Redis, reconnects: () => number, id: string): Promise<void> => {
    t.equal(reconnects(), 0, 'the connection was not closed');
    t.equal(await idOf(shared), id, 'the same connection');
    t.ok((await clientIds()).includes(id), 'CLIENT LIST shows it');
  };
  /** Another greenlet's commands on the shared client: answered as usual, not QUEUED. */
  const othersServed = async (t: Parameters<typeof newClient>[0], shared: Redis, key: string): Promise<void> => {
    t.same(
      await spawn(() => withTimeout(5, () => Promise.all([shared.set(key, 'b'), shared.get(key), shared.incr(`${key}:n`)]))),
      ['OK', 'b', 1],
      "another greenlet's SET/GET/INCR are answered as usual",
    );
  };

  t.test('a greenlet killed inside its multi({ pipeline: false }) on a shared client: DISCARD, the others are served', async (t) => {
    await outsideScope(() => observer.del('tx-a', 'tx-b', 'tx-b:n'));
    const { shared, reconnects, id } = await sharedClient(t);
    const before = await discards();
    let queued = false;
    let cleanup: unknown;
    const a = spawn(async () => {
      await shared.multi({ pipeline: false });
      try {
        t.equal(await shared.set('tx-a', 'a'), 'QUEUED');
        queued = true;
        await sleep(60);
        return await shared.exec();
      } catch (error) {
        // Its own cleanup (unowned after the kill) finds the transaction discarded already.
        cleanup = await shared.discard().catch((e: unknown) => e);
        throw error;
      }
    });
    while (!queued) await sleep(0.01);
    await a.kill();
    t.ok(a.value instanceof GreenletExit);
    t.equal(cleanup, 'OK', "the dead greenlet's own DISCARD in its cleanup is answered OK");
    await othersServed(t, shared, 'tx-b');
    t.equal(await outsideScope(() => observer.exists('tx-a')), 0, "the dead greenlet's SET never ran");
    t.equal((await discards()) - before, 1, 'one DISCARD');
    await sameConnection(t, shared, reconnects, id);
  });

  t.test('withTimeout fires inside multi({ pipeline: false }) on a shared client: DISCARD, the others are served', async (t) => {
    await outsideScope(() => observer.del('tx-t', 'tx-tb', 'tx-tb:n'));
    const { shared, reconnects, id } = await sharedClient(t);
    const before = await discards();
    const a = spawn(async () => {
      try {
        await withTimeout(0.2, async () => {
          await shared.multi({ pipeline: false });
          await shared.set('tx-t', 'a');
          await sleep(60);
          return shared.exec();
        });
      } catch (error) {
        return error;
      }
    });
    t.ok((await a) instanceof Timeout, 'the timeout fired');
    await othersServed(t, shared, 'tx-tb');
    t.equal(await outsideScope(() => observer.exists('tx-t')), 0, "the timed-out block's SET never ran");
    t.equal((await discards()) - before, 1, 'one DISCARD');
    await sameConnection(t, shared, reconnects, id);
  });

  t.test("killed while its MULTI's reply is pending: DISCARD still follows it", async (t) => {
    await outsideScope(() => observer.del('tx-p', 'tx-pb', 'tx-pb:n'));
    const { shared, reconnects, id } = await sharedClient(t);
    const before = await discards();
    let sent = false;
    const a = spawn(async () => {
      // Replies stay unread until the test resumes the socket: MULTI is written, its OK pending.
      shared.stream.pause();
      const multi = shared.multi({ pipeline: false });
      sent = true;
      await multi;
      await shared.set('tx-p', 'a');
      return shared.exec();
    });
    while (!sent) await sleep(0.01);
    t.equal(shared.commandQueue.length, 1, 'MULTI is written, unanswered');
    await a.kill();
    shared.stream.resume();
    await othersServed(t, shared, 'tx-pb');
    t.equal(await outsideScope(() => observer.exists('tx-p')), 0);
    t.equal((await discards()) - before, 1, 'one DISCARD');
    await sameConnection(t, shared, reconnects, id);
  });

  t.test('killed after its EXEC was written: the transaction runs, no DISCARD', async (t) => {
    await outsideScope(() => observer.del('tx-e', 'tx-eb', 'tx-eb:n'));
    const { shared, reconnects, id } = await sharedClient(t);
    const before = await discards();
    let sent = false;
    const a = spawn(async () => {
      await shared.multi({ pipeline: false });
      await shared.set('tx-e', 'a');
      shared.stream.pause();
      const exec = shared.exec();
      sent = true;
      return exec;
    });
    while (!sent) await sleep(0.01);
    await a.kill();
    shared.stream.resume();
    t.ok(a.value instanceof GreenletExit);
    await othersServed(t, shared, 'tx-eb');
    t.equal(await outsideScope(() => observer.get('tx-e')), 'a', 'the transaction ran');
    t.equal((await discards()) - before, 0, 'no DISCARD');
    await sameConnection(t, shared, reconnects, id);
  });

  t.test('a reconnect between MULTI and the kill: the server dropped the transaction, no stray DISCARD', async (t) => {
    await outsideScope(() => observer.del('tx-r', 'tx-rb', 'tx-rb:n'));
    const { shared, id } = await sharedClient(t);
    let readies = 0;
    shared.on('ready', () => readies++);
    const before = await discards();
    let queued = false;
    const a = spawn(async () => {
      await shared.multi({ pipeline: false });
      await shared.set('tx-r', 'a');
      queued = true;
      await sleep(60);
      return shared.exec();
    });
    while (!queued) await sleep(0.01);
    await outsideScope(() => observer.client('KILL', 'ID', id));
    while (readies === 0) await sleep(0.01);
    await a.kill();
    await othersServed(t, shared, 'tx-rb');
    t.equal(await outsideScope(() => observer.exists('tx-r')), 0);
    t.equal((await discards()) - before, 0, 'no DISCARD on the new connection');
  });

  t.test('a killed greenlet\'s cleanup command runs, owned by nobody (the kill is delivered once)', async (t) => {
    const client = newClient(t);
    const { seen } = await cleanupAfterKill(() => client.set('cleanup', '1'));
    t.equal(seen, 'OK', 'the cleanup command was answered');
    t.equal(await outsideScope(() => observer.exists('cleanup')), 1, 'and the server has its key');
  });
});

t.test('after a killed BLPOP, a client disconnected while Redis is away lets the process end (its cancellation connection does not reconnect forever)', { skip }, async (t) => {
  const { out } = await runChild<{ exitedAfterMs: number }>('ioredis-control-exit.ts', { timeoutMs: 30_000 });
  t.ok(out.exitedAfterMs < 10_000, `ended ${out.exitedAfterMs} ms after disconnect()`);
});
