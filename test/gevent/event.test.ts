// gevent's test__event.py, translated to nodevent. Not ported: the cross-thread tests
// (test_cross_thread_use*: nodevent's Event lives on one event loop; worker threads talk through
// ThreadPool instead), test_weakref (every JavaScript object can be weakly referenced), and the
// loop `check` watcher of test_wait_while_notifying (Node has no such watcher; the ordering it
// checks is kept).
import t from 'tap';
import { killWhileWaiting } from '../helpers/gevent-port.js';
import { AsyncResult, Event, Timeout, sleep, spawn, wait, withTimeout } from '../../src/runtime/index.js';

const DELAY = 0.01;
class ExpectedError extends Error {
  override name = 'ExpectedError';
}

t.test('test__event.py::TestEventWait / TestGeventWaitOnEvent: timed waits on an Event never set', async (t) => {
  t.equal(await new Event().wait({ timeout: DELAY }), false);
  t.same(await wait([new Event()], { timeout: DELAY }), []);
  t.equal(await new AsyncResult().wait({ timeout: DELAY }), false);
  t.same(await wait([new AsyncResult()], { timeout: DELAY }), []);
  await t.rejects(new AsyncResult().get({ timeout: DELAY }), Timeout);
});

t.test('test__event.py::TestGeventWaitOnEvent::test_set_during_wait', async (t) => {
  const event = new Event();
  const waiter = spawn(async () => {
    const setter = spawn(() => event.set());
    t.equal(await event.wait(), true);
    t.ok(event.isSet());
    await setter.join();
    event.clear();
    t.notOk(event.isSet());
    // Before gevent's fix the notifier picked up this new waiter and returned at once.
    const ready = await wait([event], { timeout: 0.01 });
    t.notOk(event.isSet());
    t.same(ready, []);
  });
  await waiter;
});

t.test('test__event.py::TestAsyncResult::test_link', async (t) => {
  const ar = new AsyncResult();
  t.throws(() => ar.link(null as never), { name: 'TypeError' });
  ar.unlink(null as never);
  ar.unlink(null as never);
  t.equal(String(ar), '<AsyncResult pending>');
});

t.test('test__event.py::TestAsyncResult::test_set_exc', async (t) => {
  const log: unknown[] = [];
  const e = new AsyncResult();
  t.equal(e.exception, null);
  const waiter = spawn(async () => {
    try {
      await e.get();
    } catch (error) {
      log.push(['caught', error]);
    }
  });
  await sleep(0);
  const obj = new ExpectedError();
  e.setException(obj);
  await waiter;
  t.same(log, [['caught', obj]]);
});

t.test('test__event.py::TestAsyncResult::test_set (a Timeout of 0 interrupts get)', async (t) => {
  const event1 = new AsyncResult<string>();
  const later = spawn(async () => { await sleep(DELAY * 5); event1.set('hello event1'); });
  t.teardown(() => void later.kill());
  const timerExc = new ExpectedError('interrupted');
  await t.rejects(new Timeout(0, timerExc).run(() => event1.get()), timerExc);
});

t.test('test__event.py::TestAsyncResult::test_set_with_timeout', async (t) => {
  const event2 = new AsyncResult();
  const X = {};
  t.equal(await withTimeout(DELAY, () => event2.get(), { timeoutValue: X }), X);
});

t.test('test__event.py::TestAsyncResult::test_nonblocking_get', async (t) => {
  const ar = new AsyncResult();
  await t.rejects(ar.get({ block: false }), Timeout);
  t.throws(() => ar.getNowait(), Timeout);
  ar.set(1);
  t.equal(await ar.get({ block: false }), 1);
  t.equal(ar.getNowait(), 1);
});

t.test('test__event.py::TestAsyncResultAsLinkTarget::test_set', async (t) => {
  const g = spawn(() => 1);
  const [s1, s2, s3] = [new AsyncResult(), new AsyncResult(), new AsyncResult()];
  g.link(s1!.callback);
  g.linkValue(s2!.callback);
  g.linkException(s3!.callback);
  t.equal(await s1!.get(), 1);
  t.equal(await s2!.get(), 1);
  const X = {};
  t.equal(await withTimeout(DELAY, () => s3!.get(), { timeoutValue: X }), X);
});

t.test('test__event.py::TestAsyncResultAsLinkTarget::test_set_exception', async (t) => {
  const g = spawn(() => { throw new ExpectedError('test_set_exception'); });
  const [s1, s2, s3] = [new AsyncResult(), new AsyncResult(), new AsyncResult()];
  g.link(s1!.callback);
  g.linkValue(s2!.callback);
  g.linkException(s3!.callback);
  await t.rejects(s1!.get(), ExpectedError);
  const X = {};
  t.equal(await withTimeout(DELAY, () => s2!.get(), { timeoutValue: X }), X);
  await t.rejects(s3!.get(), ExpectedError);
});

for (const n of [1, 100, 1000]) {
  t.test(`test__event.py::TestEvent_SetThenClear${n === 1 ? '' : n}::test`, async (t) => {
    const e = new Event();
    const waiters = Array.from({ length: n }, () => spawn(() => e.wait()));
    await sleep(0.001);
    e.set();
    e.clear();
    for (const g of waiters) await g.join();
    t.ok(waiters.every((g) => g.value === true), 'every waiter woken by the set, despite the clear');
  });
}

for (const [label, count, timeout] of [
  ['TestWait', null, 1], ['TestWait_notimeout', null, null], ['TestWait_count1', 1, 1], ['TestWait_count2', 2, 1],
] as const) {
  t.test(`test__event.py::${label}::test`, async (t) => {
    const N = 5;
    const period = 0.002;
    const events = Array.from({ length: N }, () => new Event());
    const asyncs = Array.from({ length: N }, () => new AsyncResult());
    const pendingEvents = [...events];
    const pendingAsyncs = [...asyncs];
    const sender = spawn(async () => {
      while (pendingEvents.length > 0 || pendingAsyncs.length > 0) {
        await sleep(period);
        pendingEvents.pop()?.set();
        await sleep(period);
        pendingAsyncs.pop()?.set(undefined);
      }
    });
    const results = await wait([...events, ...asyncs], { count, timeout });
    if (count === null) {
      t.equal(results.length, 2 * N);
      await sender.join();
      t.ok(sender.ready());
    } else {
      t.equal(results.length, count);
      t.notOk(sender.ready());
      await sender.kill();
    }
  });
}

t.test('test__event.py::TestEventBasics::test_wait_while_notifying (issue 13 item 5: woken waiters run before a newcomer)', async (t) => {
  const event = new Event();
  const results: number[] = [];
  const waitThenAppend = async (arg: number): Promise<void> => {
    await event.wait();
    results.push(arg);
  };
  spawn(waitThenAppend, 1);
  spawn(waitThenAppend, 2);
  await sleep(0);
  t.equal(event.waiterCount, 2);
  event.set();
  await waitThenAppend(3);
  t.same(results, [1, 2, 3]);
});

t.test('test__event.py::TestEventBasics::test_gevent_wait_twice_when_already_set', async (t) => {
  const event = new Event();
  event.set();
  t.same(await wait([event]), [event]);
  t.same(await wait([event]), [event]);
});

t.test('test__event.py: a link callback that throws reaches hub.errorHandler (issue 13 item 9)', async (t) => {
  const { hub } = await import('../../src/runtime/index.js');
  const seen: Array<[unknown, unknown]> = [];
  const previous = hub.errorHandler;
  hub.errorHandler = (context, error) => void seen.push([context, error]);
  t.teardown(() => void (hub.errorHandler = previous));
  const event = new Event();
  const result = new AsyncResult();
  const boom = new ExpectedError('link');
  event.link(() => { throw boom; });
  result.link(() => { throw boom; });
  event.set();
  result.set(1);
  t.same(seen, [[event, boom], [result, boom]]);
});

t.test('test__event.py: a kill reaches a greenlet waiting on Event.wait and AsyncResult.get/wait', async (t) => {
  for (const waitOn of [() => new Event().wait(), () => new AsyncResult().get(), () => new AsyncResult().wait()]) {
    t.same(await killWhileWaiting(waitOn), ['killed', 'finally']);
  }
});

t.test('test__event.py::TestGeventWaitOnEvent (issue 13 item 5: wait([e]) returns before the greenlet that set e is dead)', async (t) => {
  const e = new Event();
  let setterDeadWhenWoken: boolean | undefined;
  const setter = spawn(async () => {
    e.set();
    await sleep(0.01);
  });
  const waiter = spawn(async () => {
    await wait([e]);
    setterDeadWhenWoken = setter.dead;
  });
  await waiter;
  await setter;
  t.equal(setterDeadWhenWoken, false);
});
