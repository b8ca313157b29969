import t from 'tap';
import { BoundedSemaphore, GreenletExit, Lock, RLock, Semaphore, sleep, spawn, withTimeout } from '../src/runtime/index.js';

t.test('Semaphore(n) lets n in at once; waiters enter first come, first served', async (t) => {
  const sem = new Semaphore(2);
  let inside = 0;
  let most = 0;
  const order: number[] = [];
  const jobs = [0, 1, 2, 3, 4, 5].map((n) => spawn(() => sem.run(async () => {
    order.push(n);
    inside++;
    most = Math.max(most, inside);
    await sleep(0.005);
    inside--;
  })));
  for (const g of jobs) await g;
  t.equal(most, 2);
  t.same(order, [0, 1, 2, 3, 4, 5]);
  t.equal(sem.counter, 2);
});

t.test('acquire with timeout or blocking false resolves false', async (t) => {
  const lock = new Lock();
  t.equal(await lock.acquire(), true);
  t.equal(lock.locked(), true);
  t.equal(await lock.acquire({ timeout: 0.02 }), false);
  t.equal(await lock.acquire({ blocking: false }), false);
  t.equal(lock.waiterCount, 0);
  lock.release();
  t.equal(lock.locked(), false);
});

t.test('run releases when fn throws', async (t) => {
  const lock = new Lock();
  await t.rejects(lock.run(() => {
    throw new Error('inside');
  }), /inside/);
  t.equal(lock.locked(), false);
});

t.test('a waiter killed while waiting leaves; a permit handed to a dying waiter passes on', async (t) => {
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const sem = new Semaphore(1);
  await sem.acquire();
  const before = timers();
  const a = spawn(() => sem.acquire({ timeout: 60 }));
  const b = spawn(() => sem.acquire());
  await sleep(0.01);
  t.equal(sem.waiterCount, 2);
  await a.kill();
  t.equal(sem.waiterCount, 1);
  t.equal(timers(), before);
  const c = spawn(() => sem.acquire());
  await sleep(0.01);
  sem.release(); // handed to b...
  void b.kill({ block: false }); // ...which dies before it resumes: c gets it
  t.equal(await c.get({ timeout: 1 }), true);
  t.ok(b.value instanceof GreenletExit);
  t.equal(sem.counter, 0);
  const r = await withTimeout(0.02, () => sem.acquire(), { timeoutValue: 'timed out' });
  t.equal(r, 'timed out');
  t.equal(sem.waiterCount, 0);
});

t.test('BoundedSemaphore and Lock refuse over-release', async (t) => {
  const sem = new BoundedSemaphore(2);
  t.throws(() => sem.release(), { name: 'RangeError', code: 'ERR_SEMAPHORE_OVER_RELEASE' });
  await sem.acquire();
  sem.release();
  t.throws(() => new Lock().release(), RangeError);
  const plain = new Semaphore(1);
  plain.release();
  t.equal(plain.counter, 2, 'a plain Semaphore may go above its start');
});

t.test('RLock is reentrant for its owner and owned per greenlet', async (t) => {
  const lock = new RLock();
  const events: string[] = [];
  const owner = spawn(async () => {
    await lock.acquire();
    await lock.acquire();
    events.push('owner in twice');
    await sleep(0.02);
    lock.release();
    events.push('owner released once');
    await sleep(0.01);
    lock.release();
  });
  const other = spawn(async () => {
    await sleep(0.005);
    t.throws(() => lock.release(), { code: 'ERR_RLOCK_NOT_OWNER' });
    await lock.run(() => events.push('other in'));
  });
  await owner;
  await other;
  t.same(events, ['owner in twice', 'owner released once', 'other in']);
  t.equal(lock.locked(), false);
  t.equal(await lock.run(() => lock.run(() => 'nested')), 'nested');
});

t.test('bad input', async (t) => {
  for (const bad of [-1, NaN, 1.5]) t.throws(() => new Semaphore(bad), { name: 'RangeError', message: /"value"/ });
  t.throws(() => new BoundedSemaphore('1' as never), { name: 'TypeError', message: /"value"/ });
  t.equal(new Semaphore(0).locked(), true, '0 is allowed: a semaphore that starts taken');
  await t.rejects(new Lock().acquire({ timeout: -2 }), { name: 'RangeError', message: /"options.timeout"/ });
  await t.rejects(new Lock().run(1 as never), TypeError);
});
