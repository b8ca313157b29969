import t from 'tap';
import { Greenlet, GreenletExit, Timeout, spawn, sleep, killAll, withTimeout } from '../src/runtime/index.js';

t.test('kill before start: never runs, links still fire', async (t) => {
  let ran = false;
  const g = spawn(() => { ran = true; });
  // A Greenlet is thenable: resolve a wrapper, or the promise would adopt the greenlet's value.
  const linked = new Promise<Greenlet[]>((resolve) => g.link((dead) => resolve([dead])));
  await g.kill();
  t.equal((await linked)[0], g);
  await sleep(0.005);
  t.equal(ran, false);
  t.equal(g.started, false);
  t.ok(g.dead && g.successful());
  t.type(g.value, GreenletExit);
});

t.test('kill during sleep rejects the sleep with the GreenletExit, and finally blocks run', async (t) => {
  let caught: unknown;
  let cleaned = false;
  const g = spawn(async () => {
    try {
      await sleep(30);
    } catch (err) {
      caught = err;
      throw err;
    } finally {
      cleaned = true;
    }
  });
  await sleep(0.005);
  await g.kill();
  t.type(caught, GreenletExit);
  t.equal(caught, g.value);
  t.equal(cleaned, true, 'cleanup has run when kill() resolves');
});

t.test('kill with a custom exception makes the greenlet fail', async (t) => {
  class Cancelled extends Error {}
  const g = spawn(() => sleep(30));
  g.link(() => {}); // observed: no hub report
  await sleep(0);
  await g.kill({ exception: Cancelled });
  t.type(g.exception, Cancelled);
  t.equal(g.successful(), false);
  const err = new Error('specific');
  const h = spawn(() => sleep(30));
  h.link(() => {});
  await h.kill({ exception: err, block: false });
  t.equal(h.exception, err);
});

t.test('kill never rejects, and is a no-op on a dead greenlet', async (t) => {
  const g = spawn(() => 7);
  await g;
  await t.resolves(g.kill());
  t.equal(g.value, 7);
});

t.test('killing the parent kills its children; normal completion does not', async (t) => {
  let child!: Greenlet;
  let grandchild!: Greenlet;
  const parent = spawn(async () => {
    child = spawn(async () => {
      grandchild = spawn(() => sleep(30));
      await sleep(30);
    });
    await sleep(30);
  });
  await sleep(0.005);
  await parent.kill();
  t.ok(child.dead, 'child dead');
  t.ok(grandchild.dead, 'grandchild dead');
  t.type(child.value, GreenletExit);

  let survivor!: Greenlet;
  const quick = spawn(() => {
    survivor = spawn(async () => { await sleep(0.02); return 'done'; });
  });
  await quick;
  t.equal(survivor.dead, false, 'a child outlives a parent that returned');
  t.equal(await survivor, 'done');
});

t.test('a child spawned inside withTimeout is killed when the timeout fires', async (t) => {
  let child!: Greenlet;
  await t.rejects(withTimeout(0.01, async () => {
    child = spawn(() => sleep(30));
    await sleep(30);
  }), Timeout);
  t.ok(child.dead);
  t.type(child.value, GreenletExit, 'children of a timed-out scope exit with GreenletExit');
});

t.test('killAll kills every greenlet', async (t) => {
  const jobs = [1, 2, 3].map(() => spawn(() => sleep(30)));
  await sleep(0);
  await killAll(jobs);
  t.ok(jobs.every((g) => g.dead && g.value instanceof GreenletExit));
  await killAll([]);
});

t.test('a greenlet can kill itself', async (t) => {
  const g = spawn(async () => {
    void g.kill({ block: false });
    await sleep(30);
    return 'unreachable';
  });
  await g.join();
  t.type(g.value, GreenletExit);
});

t.test('the scope signal aborts with the kill reason', async (t) => {
  let signal!: AbortSignal;
  const g = spawn(async () => {
    signal = g.signal;
    await sleep(30);
  });
  await sleep(0.002);
  t.equal(signal.aborted, false);
  await g.kill();
  t.equal(signal.aborted, true);
  t.equal(signal.reason, g.value);
});
