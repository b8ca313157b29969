// Issue 18: a body that returns a lazy thenable (superagent's request, a query builder: nothing
// starts until someone calls `then`) has that `then` called inside the body's scope, so a kill or a
// deadline reaches the I/O it starts. Checked at every entry point that runs a user's function in
// a scope and adopts what it returns.
import t from 'tap';
import net from 'node:net';
import superagent from 'superagent';
import {
  Event, Group, GreenletExit, Local, Lock, Pool, Semaphore, Timeout, currentScope, getCurrent, sleep, spawn,
  withTimeout, type Scope,
} from '../src/runtime/index.js';
import { patchAll, unpatchAll } from '../src/patch/index.js';
import { hangingHttpServer, silentServer, until } from './helpers/servers.js';

patchAll();
t.teardown(unpatchAll);

/**
 * A hand-written lazy thenable: nothing happens until `then`, which connects to `port` and settles
 * when data comes (never, from a silent server). It records the scope its `then` ran in.
 */
function lazyConnect(port: number) {
  const seen: { scope?: Scope; socket?: net.Socket } = {};
  const thenable = {
    then<R1, R2>(onValue?: (v: string) => R1, onError?: (e: unknown) => R2): Promise<R1 | R2> {
      seen.scope = currentScope();
      return new Promise<string>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1');
        seen.socket = socket;
        socket.on('data', (d) => resolve(d.toString()));
        socket.on('error', reject);
        socket.on('close', () => reject(new Error('closed')));
      }).then(onValue, onError);
    },
  };
  return { thenable, seen };
}

t.test('superagent 10: killing the greenlet that returned the request closes the connection at the server', async (t) => {
  const srv = await hangingHttpServer(t);
  const g = spawn(() => superagent.get(`http://127.0.0.1:${srv.port}/`));
  await until(() => srv.requests === 1);
  await g.kill();
  await until(() => srv.closed === 1);
  t.type(g.value, GreenletExit);
});

t.test('superagent 10: withTimeout around the request closes the connection at the server at the deadline', async (t) => {
  const srv = await hangingHttpServer(t);
  const g = spawn(() => withTimeout(0.1, () => superagent.get(`http://127.0.0.1:${srv.port}/`)));
  await t.rejects(g.get(), Timeout);
  await until(() => srv.closed === 1);
  t.equal(srv.requests, 1);
});

t.test('greenlet body: the lazy then runs in the greenlet and the kill closes its socket', async (t) => {
  const srv = await silentServer(t);
  const { thenable, seen } = lazyConnect(srv.port);
  const g = spawn(() => thenable);
  await until(() => srv.sockets.length === 1);
  t.equal(seen.scope, g);
  await g.kill();
  await until(() => srv.closed.length === 1);
});

t.test('Timeout.run: the lazy then runs in the nested scope and the deadline closes its socket', async (t) => {
  const srv = await silentServer(t);
  const { thenable, seen } = lazyConnect(srv.port);
  const timeout = new Timeout(0.1);
  const g = spawn(() => timeout.run(() => thenable));
  await t.rejects(g.get(), timeout);
  await until(() => srv.closed.length === 1);
  t.not(seen.scope, undefined);
  t.not(seen.scope, g, 'the nested scope, not the greenlet');
});

t.test('Group.spawn: the kill closes the socket of the returned thenable', async (t) => {
  const srv = await silentServer(t);
  const { thenable, seen } = lazyConnect(srv.port);
  const group = new Group();
  const g = group.spawn(() => thenable);
  await until(() => srv.sockets.length === 1);
  t.equal(seen.scope, g);
  await group.kill();
  await until(() => srv.closed.length === 1);
});

t.test('Pool.spawn: the kill closes the socket of the returned thenable', async (t) => {
  const srv = await silentServer(t);
  const { thenable, seen } = lazyConnect(srv.port);
  const pool = new Pool(2);
  const { greenlet } = await pool.spawn(() => thenable);
  await until(() => srv.sockets.length === 1);
  t.equal(seen.scope, greenlet);
  await pool.kill();
  await until(() => srv.closed.length === 1);
});

t.test('Pool.map / imap / apply: each job\'s thenable runs in its greenlet; killing the caller closes them', async (t) => {
  const srv = await silentServer(t);
  const pool = new Pool(4);
  const scopes: Array<Scope | undefined> = [];
  const job = () => {
    const { thenable, seen } = lazyConnect(srv.port);
    return { then: (a?: (v: string) => unknown, b?: (e: unknown) => unknown) => { const p = thenable.then(a, b); scopes.push(seen.scope); return p; } };
  };
  const caller = spawn(async () => {
    const mapped = pool.map(() => job(), [1]);
    const it = pool.imap(() => job(), [2]);
    const applied = pool.apply(() => job());
    await Promise.all([mapped, it.next(), applied]);
  });
  await until(() => srv.sockets.length === 3);
  t.equal(scopes.length, 3);
  for (const scope of scopes) t.ok(scope !== undefined && scope !== caller, 'a pool greenlet, not the caller');
  await caller.kill();
  await pool.kill();
  await until(() => srv.closed.length === 3);
});

t.test('Lock.run and Semaphore.run: the thenable runs in the caller and its kill closes the socket', async (t) => {
  const srv = await silentServer(t);
  for (const lock of [new Lock(), new Semaphore(1)]) {
    const { thenable, seen } = lazyConnect(srv.port);
    const before = srv.closed.length;
    const g = spawn(() => lock.run(() => thenable));
    await until(() => srv.sockets.length === before + 1);
    t.equal(seen.scope, g);
    await g.kill();
    await until(() => srv.closed.length === before + 1);
    t.notOk(lock.locked(), 'released on the way out');
  }
});

t.test('Local initialiser: a thenable it returns is awaited (and run) in the reading greenlet', async (t) => {
  const srv = await silentServer(t);
  let seen: { scope?: Scope } = {};
  const conn = new Local(() => {
    const lazy = lazyConnect(srv.port);
    seen = lazy.seen;
    return lazy.thenable;
  });
  const g = spawn(async () => await conn.value);
  await until(() => srv.sockets.length === 1);
  t.equal(seen.scope, g);
  await g.kill();
  await until(() => srv.closed.length === 1);
});

t.test('a thenable whose then throws fails the greenlet with that error', async (t) => {
  const boom = new Error('then threw');
  const g = spawn(() => ({ then() { throw boom; } }));
  await t.rejects(g.get(), boom);
});

t.test('a thenable that calls back twice settles once', async (t) => {
  const g = spawn(() => ({ then(ok: (v: number) => void, fail: (e: unknown) => void) { ok(1); ok(2); fail(new Error('late')); } }));
  t.equal(await g, 1);
  const inTimeout = spawn(() => withTimeout(5, () => ({ then(ok: (v: number) => void) { ok(3); ok(4); } })));
  t.equal(await inTimeout, 3);
});

t.test('an async body that returns (or awaits) its own greenlet fails with a clear error instead of waiting forever', async (t) => {
  const g = spawn(async () => { await sleep(0); return getCurrent(); });
  await t.rejects(withTimeout(5, () => g.get()), { name: 'TypeError', message: /Chaining cycle/ });
  const h = spawn(async () => { await getCurrent(); });
  await t.rejects(withTimeout(5, () => h.get()), { name: 'TypeError', message: /Chaining cycle/ });
});
