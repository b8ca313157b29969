// gevent's test__pool.py and test__greenletset.py, translated to nodevent (gevent's `apply_async`
// is `pool.spawn` without awaiting the result; a Python iterator's `next(it)` is the async
// iterator's `next()`). Differences by design, asserted as nodevent behaves and listed in
// docs/runtime.md: `Pool(0)` is refused (gevent allows a pool that never has room); `add(g)` has no
// `blocking`/`timeout` (wrap it in withTimeout) and there is no PoolFull; after a failure `imap`
// stops (the failure ends the iteration and kills the jobs still running) where gevent's goes on
// with the next item; killing an undead greenlet (TestKillFiresOnce's Undead, which catches every
// kill) is not possible: a nodevent greenlet is dead as soon as it is killed; `Pool()` needs a size
// (`Infinity` for gevent's `Pool(None)`). Not ported:
// TimingWrapper/elapsed-time assertions (durations are not asserted here).
import t from 'tap';
import { captureHub, killWhileWaiting } from '../helpers/gevent-port.js';
import {
  Event, Greenlet, GreenletExit, Group, Pool, Timeout, hub, sleep, spawn, withTimeout, type GreenletSet,
} from '../../src/runtime/index.js';

class ExpectedError extends Error {
  override name = 'ExpectedError';
}

t.test('test__pool.py::TestCoroutinePool::test_apply_async', async (t) => {
  const done = new Event();
  const pool = new Pool(2);
  await pool.spawn(() => done.set());
  t.ok(await done.wait());
});

t.test('test__pool.py::TestCoroutinePool::test_apply / test_apply_raises', async (t) => {
  const pool = new Pool(2);
  t.equal(await pool.apply(() => 'return value'), 'return value');
  await t.rejects(new Pool(1).apply(() => { throw new ExpectedError(); }), ExpectedError);
});

t.test('test__pool.py::TestCoroutinePool::test_multiple_coros', async (t) => {
  const evt = new Event();
  const results: string[] = [];
  const pool = new Pool(2);
  const { greenlet: done } = await pool.spawn(async () => {
    results.push('cons1');
    await evt.wait();
    results.push('cons2');
  });
  await pool.spawn(async () => {
    await sleep(0.001);
    results.push('prod');
    evt.set();
  });
  await done.get();
  t.same(results, ['cons1', 'prod', 'cons2']);
});

t.test('test__pool.py::TestCoroutinePool::test_reentrant', async (t) => {
  const pool = new Pool(1);
  t.equal(await pool.apply(() => pool.apply((a: number) => a + 1, [5])), 6);
  const evt = new Event();
  await pool.spawn(() => evt.set());
  t.ok(await evt.wait());
});

t.test('test__pool.py::TestCoroutinePool::test_stderr_raising (issue 13 item 4: a throwing hub stream breaks nothing)', async (t) => {
  const { exceptionStream, errorHandler } = hub;
  hub.errorHandler = null;
  hub.exceptionStream = { write() { throw new Error('the stream itself fails'); } } as unknown as NodeJS.WritableStream;
  t.teardown(() => { hub.exceptionStream = exceptionStream; hub.errorHandler = errorHandler; });
  let uncaught: unknown;
  const onUncaught = (error: unknown): void => { uncaught = error; };
  process.on('uncaughtException', onUncaught);
  t.teardown(() => void process.off('uncaughtException', onUncaught));
  const pool = new Pool(1);
  const { greenlet: waiter } = await pool.spawn(() => { throw new Error('Raising an error from the crash() function'); });
  const sameTick = spawn(() => 'ran'); // greenlets spawned in the same tick still run
  await waiter.join();
  t.equal(await withTimeout(2, () => sameTick.get()), 'ran');
  await t.rejects(waiter.get(), { message: /crash/ });
  await sleep(0);
  t.equal(pool.freeCount(), 1);
  await new Timeout(1).run(() => pool.apply(() => sleep(0)));
  // An unobserved failure, reported through the throwing stream.
  const unobserved = spawn(() => { throw new Error('nobody watches'); });
  await sleep(0.001);
  t.ok(unobserved.dead);
  t.equal(uncaught, undefined, 'no uncaughtException');
  // A throwing errorHandler falls back to the (throwing) stream, and still nothing escapes.
  hub.errorHandler = () => { throw new Error('the handler fails'); };
  spawn(() => { throw new Error('again'); });
  await sleep(0.001);
  t.equal(uncaught, undefined);
});

t.test('test__pool.py::PoolBasicTests::test_execute_async', async (t) => {
  const p = new Pool(2);
  t.equal(p.freeCount(), 2);
  const r: number[] = [];
  const gate = new Event();
  const push = (n: number) => async (): Promise<void> => { await gate.wait(); r.push(n); };
  const { greenlet: first } = await p.spawn(push(1));
  t.equal(p.freeCount(), 1);
  gate.set();
  await first.get();
  t.same(r, [1]);
  await sleep(0);
  t.equal(p.freeCount(), 2);
  gate.clear();
  await p.spawn(push(2));
  t.equal(p.freeCount(), 1);
  await p.spawn(push(3));
  t.equal(p.freeCount(), 0);
  const fourth = p.spawn(push(4)); // waits for room
  await sleep(0.001);
  t.same(r, [1]);
  t.equal(p.waitingCount, 1);
  gate.set();
  await fourth;
  await p.join();
  t.same(r.sort(), [1, 2, 3, 4]);
});

t.test('test__pool.py::PoolBasicTests::test_discard', async (t) => {
  const p = new Pool(1);
  const { greenlet: first } = await p.spawn(() => sleep(1000));
  p.discard(first);
  await first.kill();
  t.ok(first.dead);
  t.equal(p.length, 0);
  t.equal(p.freeCount(), 1);
});

t.test('test__pool.py::PoolBasicTests::test_add_method (a timeout around add)', async (t) => {
  const p = new Pool(1);
  const first = spawn(() => sleep(1000));
  const second = spawn(() => sleep(1000));
  t.teardown(() => { void first.kill(); void second.kill(); });
  t.equal(p.freeCount(), 1);
  t.equal(p.length, 0);
  await p.add(first);
  t.equal(p.freeCount(), 0);
  t.equal(p.length, 1);
  await t.rejects(withTimeout(0.05, () => p.add(second)), Timeout);
  t.equal(p.freeCount(), 0);
  t.equal(p.length, 1);
  t.equal(p.waitingCount, 0, 'the add that timed out left the line');
});

t.test('test__pool.py::PoolBasicTests::test_apply / test_init_error', async (t) => {
  t.same(await new Pool(4).apply((a: number) => ['foo', a], [1]), ['foo', 1]);
  t.throws(() => new Pool(-1), { name: 'RangeError', message: /"size"/ });
  t.throws(() => new Pool(0), RangeError, 'differs: gevent accepts Pool(0)');
});

for (const size of [1, 2, 3, 10, Infinity]) {
  t.test(`test__pool.py::TestPool${size === Infinity ? 'Unlimit' : size === 1 ? '' : size}: apply, map, imap, imapUnordered`, async (t) => {
    const pool = new Pool(size);
    const sqr = async (x: number, wait = 0): Promise<number> => { await sleep(wait); return x * x; };
    t.equal(await pool.apply(sqr, [5]), 25);
    const ten = Array.from({ length: 10 }, (_, i) => i);
    t.same(await pool.map((x: number) => sqr(x), ten), ten.map((x) => x * x));
    const got: number[] = [];
    for await (const v of pool.imap((x: number) => sqr(x), ten)) got.push(v);
    t.same(got, ten.map((x) => x * x), 'test_imap_list_small: in order');
    // The first job waits until the three others came out: only a completion-order iterator ends.
    const gate = new Event();
    if (size === 1) gate.set(); // one slot: the jobs run one after the other
    const unordered: number[] = [];
    await withTimeout(5, async () => {
      for await (const v of pool.imapUnordered(async (x: number) => { if (x === 0) await gate.wait(); return x * x; }, [0, 1, 2, 3])) {
        unordered.push(v);
        if (unordered.length === 3) gate.set();
      }
    });
    t.same([...unordered].sort((a, b) => a - b), [0, 1, 4, 9], 'test_imap_unordered');
    if (size > 1) t.equal(unordered[3], 0, 'the held-back job comes last');
    t.same(await pool.map((x: number) => x, []), [], 'test_empty_map');
    const none: number[] = [];
    for await (const v of pool.imap((x: number) => x, [])) none.push(v);
    for await (const v of pool.imapUnordered((x: number) => x, [])) none.push(v);
    t.same(none, [], 'test_empty_imap / test_empty_imap_unordered');
    const big: number[] = [];
    for await (const v of pool.imap((x: number) => x, (function* () { for (let i = 0; i < 200; i++) yield i; })())) big.push(v);
    t.equal(big.length, 200, 'test_imap_it_large');
  });
}

t.test('test__pool.py::TestPool::test_terminate (kill ends the running jobs)', async (t) => {
  const pool = new Pool(3);
  const mapped = pool.map((x: number) => sleep(x), [10, 10, 10, 10]).then((values) => values, (error: unknown) => error);
  await sleep(0.001);
  await pool.kill();
  // The spawn still waiting for room is rejected with the kill; the map ends either way.
  t.type(await mapped, GreenletExit);
  t.equal(pool.length, 0);
});

t.test('test__pool.py::TestJoinSleep / TestJoinSleep_raise_error / TestJoinEmpty / TestSpawn::testSpawnAndWait', async (t) => {
  for (const raiseError of [false, true]) {
    const p = new Pool(Infinity);
    const { greenlet: g } = await p.spawn(() => sleep(10));
    t.equal(await p.join({ timeout: 0.01, raiseError }), false);
    await g.kill();
  }
  t.equal(await new Pool(Infinity).join(), true, 'empty: true');
  // gevent sleeps 0.1 s and joins for 0.01 s. Held by an event here instead, so that a stalled
  // machine cannot end the job before the join's timer fires.
  const p = new Pool(1);
  const go = new Event();
  await p.spawn(() => go.wait());
  t.equal(p.length, 1);
  t.equal(await p.join({ timeout: 0.001 }), false);
  t.equal(p.length, 1);
  go.set();
  t.equal(await p.join(), true);
  t.equal(p.length, 0);
});

t.test('test__pool.py::TestSpawn::test (spawn waits for room)', async (t) => {
  const p = new Pool(1);
  await p.spawn(() => sleep(0.01));
  t.equal(p.length, 1);
  await p.spawn(() => sleep(0.01)); // resolves once the first one finished
  t.equal(p.length, 1);
  await p.join();
  t.equal(p.length, 0);
});

t.test('test__pool.py::TestErrorInIterator::test / test_unordered', async (t) => {
  function* errorIter(): Generator<number> {
    yield 1;
    yield 2;
    throw new ExpectedError();
  }
  await t.rejects(new Pool(3).map(() => null, errorIter()), ExpectedError);
  const p = new Pool(3);
  await t.rejects((async () => { const out = []; for await (const v of p.imapUnordered(() => null, errorIter())) out.push(v); return out; })(), ExpectedError);
});

t.test('test__pool.py::TestErrorInHandler::test_map / test_imap / test_imap_unordered', async (t) => {
  const divideBy = (x: number): number => { if (x === 0) throw new RangeError('division by zero'); return 1 / x; };
  await t.rejects(new Pool(3).map(divideBy, [1, 0, 2]), RangeError);
  for (const ordered of [true, false]) {
    const p = new Pool(1);
    const it = ordered ? p.imap(divideBy, [1, 0, 2]) : p.imapUnordered(divideBy, [1, 0, 2]);
    t.same(await it.next(), { done: false, value: 1 });
    await t.rejects(it.next(), RangeError);
    // gevent goes on with 0.5; nodevent's iteration ends at the failure (documented difference).
    t.same(await it.next(), { done: true, value: undefined });
  }
});

t.test('test__pool.py: a kill reaches a greenlet waiting in Pool.join / Group.join (issue 13 item 1)', async (t) => {
  for (const make of [() => new Pool(2), () => new Group()]) {
    for (const raiseError of [false, true]) {
      const set = make();
      if (set instanceof Pool) await set.spawn(() => sleep(10));
      else set.spawn(() => sleep(10));
      t.same(await killWhileWaiting(() => set.join({ raiseError })), ['killed', 'finally']);
      await set.kill();
    }
  }
});

t.test('test__pool.py: a raising join that timed out leaves nothing that silences later failures (issue 13 item 9)', async (t) => {
  const lines = captureHub(t);
  const group = new Group();
  const go = new Event();
  group.spawn(async () => { await go.wait(); throw new ExpectedError('after the join gave up'); });
  t.equal(await group.join({ timeout: 0.01, raiseError: true }), false);
  go.set();
  await group.join();
  await sleep(0);
  t.equal(lines.filter((l) => l.includes('after the join gave up')).length, 1, 'the hub reports it');
  // While a raising join waits, the failure is its to report: the hub stays silent.
  const again = new Group();
  again.spawn(async () => { await sleep(0.001); throw new ExpectedError('seen by the join'); });
  await t.rejects(again.join({ raiseError: true }), ExpectedError);
  await sleep(0);
  t.equal(lines.filter((l) => l.includes('seen by the join')).length, 0);
});

t.test('pool.py Group.join(raise_error=True): waits for the group to be empty (or the timeout), then raises', async (t) => {
  for (const make of [(): GreenletSet => new Group(), (): GreenletSet => new Pool(4)]) {
    const set = make();
    const go = new Event();
    // Wrapped: an async function returning a Greenlet would adopt its result (it is thenable).
    const add = async (fn: () => unknown): Promise<{ g: Greenlet }> => ({ g: set instanceof Pool ? (await set.spawn(fn)).greenlet : (set as Group).spawn(fn) });
    await add(async () => { await sleep(0.001); throw new ExpectedError('first'); });
    const { g: slow } = await add(() => go.wait());
    const joining = set.join({ raiseError: true });
    let settled = false;
    void joining.then(() => (settled = true), () => (settled = true));
    while (set.length > 1) await sleep(0.001);
    await sleep(0.01);
    t.equal(settled, false, 'not before the slow member ended');
    go.set();
    await t.rejects(joining, { message: 'first' });
    t.equal(slow.dead, true);
    t.equal(set.length, 0);
  }
  const group = new Group();
  group.spawn(async () => { await sleep(0.001); throw new ExpectedError('before the timeout'); });
  const stuck = group.spawn(() => sleep(10));
  await t.rejects(group.join({ raiseError: true, timeout: 0.05 }), { message: 'before the timeout' }, 'at the timeout it raises what failed');
  t.equal(stuck.dead, false);
  await group.kill();
});

t.test('test__greenletset.py::Test::test_basic', async (t) => {
  const s = new Group();
  const a = s.spawn(() => sleep(0.01));
  t.equal(s.length, 1);
  s.spawn(() => sleep(0.05));
  t.equal(s.length, 2);
  await a.join();
  t.equal(s.length, 1);
  await s.join();
  t.equal(s.length, 0);
});

t.test('test__greenletset.py::Test::test_waitall', async (t) => {
  const s = new Group();
  s.spawn(() => sleep(0.01));
  s.spawn(() => sleep(0.02));
  t.equal(s.length, 2);
  t.equal(await s.join({ raiseError: true }), true);
  t.equal(s.length, 0);
});

t.test('test__greenletset.py::Test::test_kill_block / test_kill_noblock', async (t) => {
  const s = new Group();
  s.spawn(() => sleep(10));
  s.spawn(() => sleep(10));
  await s.kill();
  t.equal(s.length, 0);
  const s2 = new Group();
  s2.spawn(() => sleep(10));
  s2.spawn(() => sleep(10));
  await s2.kill({ block: false });
  t.equal(s2.length, 0, 'nodevent: killed greenlets are dead (and leave) at once, even without block');
});

t.test('test__greenletset.py::Test::test_kill_fires_once (killone on a dead member does nothing)', async (t) => {
  const p1 = spawn(() => sleep(10));
  const p2 = spawn(() => sleep(10));
  const s = new Group();
  s.add(p1);
  s.add(p2);
  let shot = 0;
  p1.link(() => shot++);
  await s.killone(p1, { block: false });
  await s.killone(p1);
  await s.killone(p1);
  await sleep(0);
  t.equal(shot, 1);
  t.ok(p1.dead);
  t.notOk(p2.dead);
  await s.kill();
  t.ok(p2.dead);
});

t.test('test__greenletset.py::Test::test_killall_subclass', async (t) => {
  class GreenletSubclass extends Greenlet {}
  const p1 = new GreenletSubclass(() => { throw new RangeError('1/0'); });
  p1.link(() => {});
  p1.start();
  const p2 = new GreenletSubclass(() => sleep(10)).start();
  const s = new Group();
  s.add(p1);
  s.add(p2);
  await s.kill();
  t.ok(p1.dead && p2.dead);
});
