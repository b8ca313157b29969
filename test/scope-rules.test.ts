// The two ownership rules every area builds on: a scope that ended or was aborted owns nothing new
// (the kill is delivered once), and a nested scope that ends normally hands what it owns to the
// enclosing one.
import t from 'tap';
import net from 'node:net';
import { once } from 'node:events';
import { Event, GreenletExit, Queue, Scope, Timeout, currentSignal, spawn, sleep, withTimeout } from '../src/runtime/index.js';
import { patchNet, unpatchNet } from '../src/patch/net.js';
import { silentServer, until } from './helpers/servers.js';

patchNet();
t.teardown(unpatchNet);

t.test('own() on an aborted scope neither tracks nor disposes', async (t) => {
  const scope = new Scope();
  scope.abort(new GreenletExit());
  let disposed = 0;
  scope.own({ dispose: () => disposed++ });
  t.equal(disposed, 0);
  t.equal(scope.ownedCount, 0);
});

t.test('own() on a released scope neither tracks nor disposes', async (t) => {
  const scope = new Scope();
  scope.release();
  let disposed = 0;
  scope.own({ dispose: () => disposed++ });
  scope.abort(new GreenletExit());
  t.equal(disposed, 0);
  t.equal(scope.ownedCount, 0);
});

t.test('a released scope with an heir hands over what it owns, and later disowns reach the heir', async (t) => {
  const outer = new Scope();
  const inner = new Scope(outer);
  const kept = { dispose: (reason: unknown) => disposed.push(['kept', reason]) };
  const finished = { dispose: (reason: unknown) => disposed.push(['finished', reason]) };
  const disposed: Array<[string, unknown]> = [];
  inner.own(kept);
  inner.own(finished);
  inner.release(outer);
  t.equal(inner.ownedCount, 0);
  t.equal(outer.ownedCount, 2);
  inner.disown(finished); // the resource still believes it belongs to the inner scope
  t.equal(outer.ownedCount, 1);
  const reason = new GreenletExit();
  outer.abort(reason);
  t.same(disposed, [['kept', reason]]);
});

t.test('what a scope owns, one thing or many, in any order of own and disown: each disposed once on abort', async (t) => {
  // A scope keeps its first resource in a field and more in a set: every path between the two.
  const disposed: string[] = [];
  const r = (name: string) => ({ dispose: () => disposed.push(name) });
  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(r) as [ReturnType<typeof r>, ReturnType<typeof r>, ReturnType<typeof r>, ReturnType<typeof r>];
  const scope = new Scope();
  scope.own(a);
  scope.own(a);
  t.equal(scope.ownedCount, 1, 'owning twice is owning once');
  scope.disown(a);
  t.equal(scope.ownedCount, 0);
  scope.own(b);
  scope.own(c);
  t.equal(scope.ownedCount, 2);
  scope.disown(b);
  scope.own(d);
  scope.own(a);
  scope.disown(c);
  t.equal(scope.ownedCount, 2, 'd and a');
  scope.abort(new GreenletExit());
  t.same(disposed.sort(), ['a', 'd'], 'the owned ones, once each');
  t.equal(scope.ownedCount, 0);

  const handed: string[] = [];
  const outer = new Scope();
  const inner = new Scope(outer);
  inner.own({ dispose: () => handed.push('one') });
  inner.release(outer);
  t.equal(outer.ownedCount, 1, 'a single resource is handed on too');
  outer.abort(new GreenletExit());
  t.same(handed, ['one']);
});

t.test('a killed greenlet that catches the kill and sleeps again really sleeps (no spin)', async (t) => {
  const caught = new Event();
  let laps = 0;
  let after: unknown = 'not yet';
  const g = spawn(async () => {
    try {
      await sleep(60);
    } catch (error) {
      caught.set();
      // Rejected at once on every call before: this loop spun the CPU.
      try {
        for (laps = 0; laps < 3; laps++) await sleep(0.01);
        after = 'slept';
      } catch (again) {
        after = again;
      }
      throw error;
    }
  });
  await sleep(0);
  await g.kill();
  await caught.wait();
  await until(() => after !== 'not yet');
  t.equal(after, 'slept');
  t.equal(laps, 3);
});

t.test('the runtime waits of a killed greenlet are not rejected again: Event.wait and Queue.get wait', async (t) => {
  const go = new Event();
  const q = new Queue<number>();
  const seen: unknown[] = [];
  const g = spawn(async () => {
    try {
      await sleep(60);
    } catch {
      seen.push(await go.wait());
      seen.push(await q.get());
    }
  });
  await sleep(0);
  await g.kill();
  t.equal(go.waiterCount, 1, 'the wait after the kill is parked, not rejected');
  go.set();
  await until(() => q.waiting.getters === 1);
  q.put(7);
  await until(() => seen.length === 2);
  t.same(seen, [true, 7]);
});

t.test('a socket connected in a withTimeout block that ends normally belongs to the greenlet: killing it closes the socket at the server', async (t) => {
  const srv = await silentServer(t);
  let client: net.Socket | undefined;
  const inBlock = new Event();
  const g = spawn(async () => {
    client = await withTimeout(5, async () => {
      const s = net.connect(srv.port, '127.0.0.1');
      await once(s, 'connect');
      return s;
    });
    inBlock.set();
    await once(client, 'data'); // never comes; not an owned wait
  });
  await inBlock.wait();
  t.equal(g.ownedCount, 1, 'the greenlet inherited the socket');
  await g.kill();
  await until(() => srv.closed.length === 1);
  t.ok(client!.destroyed);
});

t.test('a socket handed over by a withTimeout block and closed later leaves nothing owned', async (t) => {
  const srv = await silentServer(t);
  const g = spawn(async () => {
    const s = await withTimeout(5, async () => {
      const s = net.connect(srv.port, '127.0.0.1');
      await once(s, 'connect');
      return s;
    });
    s.destroy();
    await once(s, 'close');
    return getOwned();
  });
  const getOwned = (): number => g.ownedCount;
  t.equal(await g, 0);
});

t.test('a child greenlet spawned in a withTimeout block that ends normally dies with the greenlet', async (t) => {
  const inBlock = new Event();
  let child: ReturnType<typeof spawn> | undefined;
  const g = spawn(async () => {
    await withTimeout(5, () => {
      child = spawn(() => sleep(60));
    });
    inBlock.set();
    await sleep(60);
  });
  await inBlock.wait();
  t.notOk(child!.dead);
  await g.kill();
  t.ok(child!.dead);
  t.ok(child!.value instanceof GreenletExit);
});

t.test('a withTimeout block nested in another hands its things outward level by level', async (t) => {
  const srv = await silentServer(t);
  const inBlock = new Event();
  const g = spawn(async () => {
    const s = await withTimeout(5, () => withTimeout(5, async () => {
      const s = net.connect(srv.port, '127.0.0.1');
      await once(s, 'connect');
      return s;
    }));
    inBlock.set();
    await once(s, 'data');
  });
  await inBlock.wait();
  await g.kill();
  await until(() => srv.closed.length === 1);
  t.equal(srv.closed.length, 1, 'the server saw the close');
});

t.test('a Timeout that fired before run() rejects at once with itself', async (t) => {
  const timeout = new Timeout(0);
  timeout.start();
  await t.rejects(timeout.run(() => sleep(0.01)), timeout);
  let ran = false;
  await t.rejects(timeout.run(() => { ran = true; }), timeout);
  t.notOk(ran);
});

t.test('the signal of a withTimeout block that ended normally aborts when the greenlet is killed', async (t) => {
  let signal: AbortSignal | undefined;
  const inBlock = new Event();
  const g = spawn(async () => {
    await withTimeout(5, () => {
      signal = currentSignal();
    });
    inBlock.set();
    await sleep(60);
  });
  await inBlock.wait();
  t.notOk(signal!.aborted);
  await g.kill();
  t.ok(signal!.aborted);
  t.type(signal!.reason, GreenletExit);
});

t.test('a kill that reached nothing the body awaited goes to its next runtime wait, once (gevent raises it at the next switch)', async (t) => {
  const log: unknown[] = [];
  let release!: () => void;
  const unowned = new Promise<void>((resolve) => (release = resolve));
  const g = spawn(async () => {
    await unowned; // nobody owns this promise: the kill cannot reach it
    try {
      await sleep(60);
      log.push('slept');
    } catch (error) {
      log.push(error);
    }
    await sleep(0.001); // delivered already: this one sleeps
    log.push('slept again');
  });
  await sleep(0);
  await g.kill();
  release();
  await until(() => log.length === 2);
  t.type(log[0], GreenletExit);
  t.equal(log[0], g.value);
  t.equal(log[1], 'slept again');
});

t.test('a greenlet that kills itself is interrupted at its next wait', async (t) => {
  const g = spawn(async () => {
    void g.kill({ block: false });
    await new Event().wait(); // would wait forever
    return 'unreachable';
  });
  await withTimeout(5, () => g.join());
  t.type(g.value, GreenletExit);
});
