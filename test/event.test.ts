import t from 'tap';
import { AsyncResult, Event, GreenletExit, Timeout, iwait, sleep, spawn, wait, withTimeout } from '../src/runtime/index.js';

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

t.test('Event: set wakes every waiter, oldest first; wait resolves true', async (t) => {
  const ev = new Event();
  const order: string[] = [];
  const waiters = ['a', 'b', 'c'].map((who) => spawn(async () => {
    const ok = await ev.wait();
    order.push(`${who}:${ok}`);
  }));
  await sleep(0.01);
  t.equal(ev.waiterCount, 3);
  t.equal(ev.isSet(), false);
  ev.set();
  for (const g of waiters) await g;
  t.same(order, ['a:true', 'b:true', 'c:true']);
  t.equal(await ev.wait(), true, 'already set: at once');
  ev.clear();
  t.equal(ev.isSet(), false);
});

t.test('Event.wait times out with false and leaves no timer', async (t) => {
  const ev = new Event();
  const before = timers();
  t.equal(await ev.wait({ timeout: 0.02 }), false);
  t.equal(await ev.wait({ timeout: 0 }), false);
  t.equal(ev.waiterCount, 0);
  t.equal(timers(), before);
});

t.test('Event.wait in a killed greenlet leaves no waiter and no timer behind', async (t) => {
  const ev = new Event();
  const before = timers();
  const g = spawn(() => ev.wait({ timeout: 60 }));
  await sleep(0.01);
  t.equal(ev.waiterCount, 1);
  t.equal(timers(), before + 1);
  await g.kill();
  t.ok(g.value instanceof GreenletExit);
  t.equal(ev.waiterCount, 0);
  t.equal(timers(), before);
  const r = await withTimeout(0.02, () => ev.wait(), { timeoutValue: 'late' });
  t.equal(r, 'late');
  t.equal(ev.waiterCount, 0);
});

t.test('Event is linkable: wait and iwait accept it', async (t) => {
  const ev = new Event();
  const slow = spawn(() => sleep(0.05));
  setTimeout(() => ev.set(), 10);
  const [first] = await wait([slow, ev], { count: 1 });
  t.equal(first, ev);
  const seen: unknown[] = [];
  for await (const obj of iwait([ev, slow])) seen.push(obj);
  t.same(seen.length, 2);
  let called = 0;
  ev.link(() => called++);
  await sleep(0);
  t.equal(called, 1, 'linked after set: called on a later tick');
});

t.test('AsyncResult: set wakes getters; first set wins; awaitable', async (t) => {
  const r = new AsyncResult<number>();
  const getters = [1, 2].map(() => spawn(() => r.get()));
  await sleep(0.01);
  t.equal(r.ready(), false);
  t.equal(r.value, null, 'value is null until set, as a Greenlet\'s (gevent: None)');
  t.equal(r.exception, null);
  t.equal(r.waiterCount, 2);
  r.set(42);
  r.set(7);
  r.setException(new Error('ignored'));
  t.same([await getters[0], await getters[1]], [42, 42]);
  t.equal(await r, 42);
  t.equal(r.successful(), true);
  t.equal(r.value, 42);
  t.equal(r.exception, null);
  t.equal(r.getNowait(), 42);
});

t.test('AsyncResult: setException rejects get; wait does not', async (t) => {
  const r = new AsyncResult();
  const boom = new Error('boom');
  const getter = spawn(() => r.get());
  await sleep(0.01);
  r.setException(boom);
  await t.rejects(getter.get(), boom);
  t.equal(await r.wait(), true);
  t.equal(r.successful(), false);
  t.equal(r.exception, boom);
  t.throws(() => r.getNowait(), boom);
});

t.test('AsyncResult: timeouts', async (t) => {
  const r = new AsyncResult();
  await t.rejects(r.get({ timeout: 0.02 }), Timeout);
  await t.rejects(r.get({ block: false }), Timeout);
  t.throws(() => r.getNowait(), Timeout);
  t.equal(await r.wait({ timeout: 0.02 }), false);
  t.equal(r.waiterCount, 0);
});

t.test('AsyncResult: a link target for greenlets; linkable for wait', async (t) => {
  const ok = new AsyncResult<number>();
  spawn(() => 6 * 7).link(ok.callback);
  t.equal(await ok, 42);
  const failed = new AsyncResult();
  const err = new Error('nope');
  spawn(() => {
    throw err;
  }).link(failed.callback);
  await t.rejects(failed.get(), err);
  const later = new AsyncResult<string>();
  setTimeout(() => later.set('x'), 5);
  const [done] = await wait([later]);
  t.equal(done, later);
});

t.test('AsyncResult.get in a killed greenlet leaves no waiter and no timer', async (t) => {
  const r = new AsyncResult();
  const before = timers();
  const g = spawn(() => r.get({ timeout: 60 }));
  await sleep(0.01);
  t.equal(r.waiterCount, 1);
  await g.kill();
  t.equal(r.waiterCount, 0);
  t.equal(timers(), before);
});

t.test('bad input', async (t) => {
  await t.rejects(new Event().wait({ timeout: -1 }), { name: 'RangeError', message: /"options.timeout"/ });
  await t.rejects(new AsyncResult().get({ timeout: NaN }), { name: 'RangeError', message: /"options.timeout"/ });
  t.throws(() => new Event().link(1 as never), TypeError);
});
