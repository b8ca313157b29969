// gevent's src/gevent/tests/test__greenlet.py, translated (not copied) to nodevent. Each test names
// its origin. Not ported, because it cannot exist in JavaScript: minimal_ident/parent-is-hub
// details (no hub greenlet), test_recursion_error and getframe (no frames to switch), greenlet
// ref/unref (no libev handles), the C-extension/pure checks, TestDeadPropertyDuringSwitch (no
// switch), has_links (not part of nodevent's API), spawn_raw (no raw greenlets) and kwargs
// (JavaScript has positional arguments only).
import t from 'tap';
import { captureHub, killWhileWaiting } from '../helpers/gevent-port.js';
import {
  AsyncResult, Channel, Greenlet, GreenletExit, Queue, Timeout, diagnostics, getCurrent, joinAll,
  iwait, killAll, sleep, spawn, spawnLater, wait, withTimeout,
} from '../../src/runtime/index.js';

class ExpectedError extends Error {
  override name = 'ExpectedError';
}

t.test('test__greenlet.py::TestLink::test_link_to_asyncresult', async (t) => {
  const p = spawn(() => 100);
  const result = new AsyncResult();
  p.link(result.callback);
  t.equal(await result.get(), 100);
  for (let i = 0; i < 3; i++) {
    const again = new AsyncResult();
    p.link(again.callback);
    t.equal(await again.get(), 100);
  }
});

t.test('test__greenlet.py::TestLink::test_link_to_asyncresult_exception', async (t) => {
  const err = new ExpectedError('test_link_to_asyncresult_exception');
  const p = spawn(() => { throw err; });
  const result = new AsyncResult();
  p.link(result.callback);
  await t.rejects(result.get(), err);
  for (let i = 0; i < 3; i++) {
    const again = new AsyncResult();
    p.link(again.callback);
    await t.rejects(again.get(), err);
  }
});

// A Greenlet is thenable in nodevent (`await g` is `g.get()`), so a promise resolved with one adopts
// its value: the greenlet travels through the queue wrapped (a documented difference).
t.test('test__greenlet.py::TestLink::test_link_to_queue', async (t) => {
  const p = spawn(() => 100);
  const q = new Queue<{ g: Greenlet }>();
  p.link((g) => q.putNowait({ g }));
  t.equal(await (await q.get()).g.get(), 100);
  for (let i = 0; i < 3; i++) {
    p.link((g) => q.putNowait({ g }));
    t.equal(await (await q.get()).g.get(), 100);
  }
});

t.test('test__greenlet.py::TestLink::test_link_to_channel', async (t) => {
  const ps = [101, 102, 103].map((n) => spawn(() => n));
  const ch = new Channel<{ g: Greenlet<number> }>();
  for (const p of ps) p.link((g) => void ch.put({ g }));
  const results = [];
  for (let i = 0; i < 3; i++) results.push(await (await ch.get()).g.get());
  t.same(results.sort(), [101, 102, 103]);
});

t.test('test__greenlet.py::TestReturn_link::test_return (link, linkValue; linkException never fires)', async (t) => {
  const p = spawn(() => 25);
  for (let i = 0; i < 3; i++) {
    const viaLink = new AsyncResult();
    const viaValue = new AsyncResult();
    let exceptionLinkCalled = false;
    p.link(viaLink.callback);
    p.linkValue(viaValue.callback);
    p.linkException(() => { exceptionLinkCalled = true; });
    t.equal(await viaLink.get(), 25);
    t.equal(await viaValue.get(), 25);
    await sleep(0);
    t.notOk(exceptionLinkCalled);
    t.ok(p.dead);
  }
});

t.test('test__greenlet.py::TestReturn_link::test_kill', async (t) => {
  const p = spawn(() => sleep(0.01));
  const viaLink = new AsyncResult();
  let exceptionLinkCalled = false;
  p.link(viaLink.callback);
  p.linkException(() => { exceptionLinkCalled = true; });
  await p.kill();
  t.ok(p.dead);
  t.type(await viaLink.get(), GreenletExit);
  t.notOk(exceptionLinkCalled, 'a GreenletExit is a success');
});

t.test('test__greenlet.py::TestRaise_link::test_raise (link, linkException; linkValue never fires)', async (t) => {
  captureHub(t);
  const p = spawn(() => { throw new ExpectedError('test_raise'); });
  for (let i = 0; i < 3; i++) {
    const viaLink = new AsyncResult();
    const q = new Queue<{ g: Greenlet }>();
    let valueLinkCalled = false;
    p.link(viaLink.callback);
    p.linkException((g) => q.putNowait({ g }));
    p.linkValue(() => { valueLinkCalled = true; });
    await t.rejects(viaLink.get(), ExpectedError);
    t.equal((await q.get()).g, p);
    await sleep(0);
    t.notOk(valueLinkCalled);
  }
});

t.test('test__greenlet.py::TestStuff::test_wait_noerrors', async (t) => {
  const [x, y, z] = [1, 2, 3].map((n) => spawn(() => n));
  await joinAll([x!, y!, z!], { raiseError: true });
  t.same([x!.value, y!.value, z!.value], [1, 2, 3]);
  const result = new AsyncResult();
  x!.link(result.callback);
  t.equal(await result.get(), 1);
});

t.test('test__greenlet.py::TestStuff::test_wait_error', async (t) => {
  const x = spawn(async () => { await sleep(0.01); return 1; });
  const y = spawn(() => { throw new ExpectedError('test_wait_error'); });
  await t.rejects(joinAll([x, y], { raiseError: true }), ExpectedError);
  await t.rejects(joinAll([y], { raiseError: true }), ExpectedError);
  await x.join();
});

t.test('test__greenlet.py::TestStuff::test_joinall_exception_order', async (t) => {
  const a = spawn(async () => { await sleep(0.05); throw new ExpectedError('first'); });
  const b = spawn(() => { throw new ExpectedError('second'); });
  await t.rejects(joinAll([a, b], { raiseError: true }), { message: 'second' });
  await joinAll([a, b]);
});

t.test('test__greenlet.py::TestStuff::test_joinall_count_raise_error', async (t) => {
  const sleeper = spawn(async () => { for (;;) await sleep(0.1); });
  const raiser = spawn(() => { throw new ExpectedError('count'); });
  await joinAll([sleeper, raiser], { raiseError: false, count: 1 });
  t.ok(raiser.ready());
  t.notOk(sleeper.ready());
  await sleeper.kill();
  t.ok(sleeper.ready());
});

t.test('test__greenlet.py::TestStuff::test_multiple_listeners_error', async (t) => {
  const lines = captureHub(t);
  for (const body of [() => 5, () => { throw new ExpectedError('test_multiple_listeners_error'); }]) {
    const p = spawn(body);
    const results: number[] = [];
    p.link(() => { results.push(10); throw new ExpectedError('listener1'); });
    p.link(() => { results.push(20); throw new ExpectedError('listener2'); });
    p.link(() => { throw new ExpectedError('listener3'); });
    await p.join();
    await sleep(0);
    t.same(results, [10, 20]);
  }
  t.ok(lines.filter((l) => /listener[123]/.test(l)).length >= 6, 'every callback failure is reported');
});

for (const [name, make] of [
  ['Greenlet_link', () => { const p = spawn(() => 5); return { target: p, link: (fn: (x: unknown) => void) => p.link(fn), unlink: (fn: (x: unknown) => void) => p.unlink(fn) }; }],
  ['AsyncResult_rawlink', () => { const e = new AsyncResult<number>(); spawn(() => e.set(6)); return { target: e, link: (fn: (x: unknown) => void) => e.link(fn), unlink: (fn: (x: unknown) => void) => e.unlink(fn) }; }],
] as const) {
  t.test(`test__greenlet.py::TestStuff::test_multiple_listeners_error_unlink_${name}`, async (t) => {
    captureHub(t);
    const { target, link, unlink } = make();
    const results: number[] = [];
    const listener1 = (): void => { unlink(listener2); results.push(5); throw new ExpectedError('listener1'); };
    const listener2 = (): void => { unlink(listener1); results.push(5); throw new ExpectedError('listener2'); };
    link(listener1);
    link(listener2);
    link(() => { throw new ExpectedError('listener3'); });
    await wait([target as Greenlet]);
    await sleep(0);
    t.same(results, [5], 'unlinking during notification stops the later listener');
  });
}

t.test('test__greenlet.py::TestStr::test_function', async (t) => {
  const g = new Greenlet(() => 1);
  t.match(String(g), /^<Greenlet "Greenlet-\d+">$/);
  g.name = 'named';
  t.equal(String(g), '<Greenlet "named">');
});

t.test('test__greenlet.py::TestJoin / TestGet: a timed wait on a greenlet that never ends', async (t) => {
  const g = spawn(() => sleep(60));
  t.teardown(() => void g.kill());
  await g.join({ timeout: 0.01 });
  t.notOk(g.dead);
  await t.rejects(g.get({ timeout: 0.01 }), Timeout);
  t.same(await joinAll([g], { timeout: 0.01 }), []);
  t.same(await joinAll([g], { timeout: 0 }), []);
});

t.test('test__greenlet.py::TestBasic::test_spawn_non_callable', async (t) => {
  t.throws(() => spawn(1 as never), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => spawn(undefined as never), TypeError);
});

t.test('test__greenlet.py::TestBasic::test_simple_exit (started is false once dead)', async (t) => {
  const linked: Greenlet[] = [];
  const g = new Greenlet(async (delay: number, value: number) => { await sleep(delay); return value; }, 0.01, 5);
  g.link((x) => linked.push(x));
  t.notOk(g.dead); t.notOk(g.started); t.notOk(g.ready()); t.notOk(g.successful());
  t.equal(g.value, null); t.equal(g.exception, null);
  g.start();
  t.notOk(g.dead); t.ok(g.started); t.notOk(g.ready()); t.notOk(g.successful());
  await sleep(0);
  t.ok(g.started); t.notOk(g.ready()); t.same(linked, []);
  await g.join();
  t.ok(g.dead); t.notOk(g.started, 'started is false once dead'); t.ok(g.ready()); t.ok(g.successful());
  t.equal(g.value, 5); t.equal(g.exception, null);
  await sleep(0);
  t.same(linked, [g]);
});

t.test('test__greenlet.py::TestBasic::test_error_exit', async (t) => {
  const g = new Greenlet(async () => {
    await sleep(0.001);
    throw Object.assign(new ExpectedError('test_error_exit'), { myattr: 5 });
  });
  const linked: Greenlet[] = [];
  g.link((x) => linked.push(x));
  g.start();
  await g.join();
  t.ok(g.dead); t.notOk(g.started); t.ok(g.ready()); t.notOk(g.successful());
  t.equal(g.value, null);
  t.equal((g.exception as { myattr: number }).myattr, 5);
  await sleep(0);
  t.same(linked, [g]);
});

t.test('test__greenlet.py::TestBasic::test_tree_locals (parent)', async (t) => {
  let child: Greenlet | undefined;
  const outer = spawn(async () => {
    child = spawn(() => 1);
    await child;
  });
  await outer;
  t.equal(child!.parent, outer);
  t.equal(outer.parent, null);
});

t.test('test__greenlet.py::TestBasic::test_add_spawn_callback (spawn callbacks at spawn time, also for spawnLater)', async (t) => {
  const seen: unknown[] = [];
  const onSpawn = (g: unknown): void => void seen.push(g);
  diagnostics.spawn.subscribe(onSpawn);
  t.teardown(() => diagnostics.spawn.unsubscribe(onSpawn));
  const g = spawn(() => 1);
  t.same(seen, [g]);
  const later = spawnLater(0.01, () => 2);
  t.same(seen, [g, later], 'published when spawnLater is called, not when the delayed start happens');
  await later;
  t.equal(seen.length, 2, 'not published again at the start');
});

t.test('test__greenlet.py::TestBasic: a body that returns its own greenlet ends (the getCurrent @example; issue 13 item 9)', async (t) => {
  const g = spawn(() => getCurrent());
  await withTimeout(5, () => g.join());
  t.ok(g.dead);
  t.equal(g.value, g);
  // Awaiting it cannot give the greenlet itself (it is thenable): a clear error, not a spin.
  await t.rejects(g.get(), { name: 'TypeError', message: /Chaining cycle/ });
});

for (const [label, start] of [
  ['TestKill', (g: Greenlet) => g],
  ['TestKillAfterStart', (g: Greenlet) => g.start()],
  ['TestKillAfterStartLater', (g: Greenlet) => g.startLater(0.0001)],
] as const) {
  for (const block of [true, false]) {
    t.test(`test__greenlet.py::${label}::test_${block ? 'block' : 'non_block'}`, async (t) => {
      const g = start(new Greenlet(() => sleep(10)));
      await g.kill({ block });
      if (!block) await g.join();
      t.ok(g.dead);
      t.notOk(g.started);
      t.ok(g.successful());
      t.type(g.value, GreenletExit);
    });
    t.test(`test__greenlet.py::${label}::test_${block ? 'block' : 'non_block'}_killall`, async (t) => {
      const g = start(new Greenlet(() => sleep(10)));
      await killAll([g], { block });
      if (!block) await g.join();
      t.ok(g.dead);
      t.type(g.value, GreenletExit);
    });
    t.test(`test__greenlet.py::${label}::test_non_type_exception${block ? '' : '_non_block'}`, async (t) => {
      captureHub(t);
      const g = start(new Greenlet(() => sleep(10)));
      const err = new ExpectedError('non-type');
      await g.kill({ exception: err, block });
      if (!block) await g.join();
      t.ok(g.dead);
      t.notOk(g.successful());
      t.equal(g.exception, err);
    });
  }
}

t.test('test__greenlet.py::TestKillWhileRunning::test_kill: the body\'s finally runs', async (t) => {
  const log: string[] = [];
  const g = spawn(async () => {
    try {
      await sleep(10);
    } finally {
      log.push('finally');
    }
  });
  await sleep(0);
  await g.kill();
  t.same(log, ['finally']);
});

t.test('test__greenlet.py::TestStart::test_start (started while scheduled, not after death)', async (t) => {
  const g = spawn(() => sleep(0.001));
  t.ok(g.started);
  t.notOk(g.dead);
  g.start();
  t.ok(g.started);
  await g.kill();
  t.ok(g.dead);
  t.notOk(g.started);
  g.start();
  t.notOk(g.started, 'a dead greenlet cannot be started again');
});

t.test('test__greenlet.py::TestStuff: a kill reaches a greenlet waiting in join/get/await/wait/joinAll (issue 13 item 1)', async (t) => {
  const target = spawn(() => sleep(60));
  t.teardown(() => void target.kill());
  const waits: Record<string, () => Promise<unknown>> = {
    join: () => target.join(),
    get: () => target.get(),
    await: async () => await target,
    wait: () => wait([target]),
    iwait: async () => { for await (const g of iwait([target])) return g; },
    joinAll: () => joinAll([target]),
    'joinAll raiseError': () => joinAll([target], { raiseError: true }),
  };
  for (const [name, waitOn] of Object.entries(waits)) {
    t.same(await killWhileWaiting(waitOn), ['killed', 'finally'], `${name}: the wait rejects with the kill and the finally runs`);
  }
  t.notOk(target.dead, 'the greenlet waited on is untouched');
});

t.test('test__greenlet.py: a kill of a waiter leaves no link behind on the greenlet it waited for', async (t) => {
  const lines = captureHub(t);
  const target = spawn(async () => { await sleep(0.02); throw new ExpectedError('unobserved after the waiter died'); });
  const waiter = spawn(() => target.join());
  await sleep(0);
  await waiter.kill();
  await target.join({ timeout: 5 });
  // join() marks the target observed, so the hub stays silent; what matters is that nothing hangs.
  t.ok(target.dead);
  t.same(lines.filter((l) => l.includes('link callback')), []);
});
