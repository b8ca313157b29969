import t from 'tap';
import { AsyncResult, Event, Greenlet, GreenletExit, Timeout, getCurrent, hub, joinAll, spawn, spawnLater, sleep, currentScope, currentSignal } from '../src/runtime/index.js';

t.test('the body starts on a later tick, never inside spawn', async (t) => {
  const order: string[] = [];
  const g = spawn(() => order.push('body'));
  order.push('after spawn');
  t.same(order, ['after spawn']);
  t.equal(g.started, true);
  t.equal(g.ready(), false);
  await g;
  t.same(order, ['after spawn', 'body']);
});

t.test('value, exception, ready, successful, dead', async (t) => {
  const ok = spawn(async (a: number, b: number) => { await sleep(0.001); return a + b; }, 2, 3);
  t.equal(ok.value, null);
  t.equal(await ok.get(), 5);
  t.equal(ok.value, 5);
  t.equal(ok.exception, null);
  t.ok(ok.ready() && ok.dead && ok.successful());

  const boom = new Error('boom');
  const bad = spawn(() => { throw boom; });
  await bad.join();
  t.equal(bad.exception, boom);
  t.equal(bad.value, null);
  t.equal(bad.successful(), false);
  await t.rejects(bad.get(), boom);
  await t.rejects(async () => { await bad; }, boom, 'awaiting a greenlet is get()');
});

t.test('names are Greenlet-N and assignable', async (t) => {
  const g = spawn(() => 1);
  t.match(g.name, /^Greenlet-\d+$/);
  g.name = 'worker';
  t.equal(g.name, 'worker');
  t.equal(String(g), '<Greenlet "worker">');
  await g;
});

t.test('getCurrent and parent', async (t) => {
  t.equal(getCurrent(), null);
  t.equal(currentScope(), undefined);
  t.equal(currentSignal(), undefined);
  const outer = spawn(async () => {
    await sleep(0);
    // Wrapped in arrays: a Greenlet is thenable, so a greenlet resolving to itself would never settle.
    const inner = spawn(() => [getCurrent()]);
    return { me: getCurrent(), inner, innerCurrent: (await inner)[0] };
  });
  const r = await outer;
  t.equal(r.me, outer);
  t.equal(r.inner.parent, outer);
  t.equal(r.innerCurrent, r.inner);
  t.equal(outer.parent, null);
});

t.test('get with timeout rejects with a Timeout; join with timeout resolves', async (t) => {
  const g = spawn(() => sleep(10));
  await t.rejects(g.get({ timeout: 0.01 }), { name: 'Timeout' });
  t.equal(await g.join({ timeout: 0.01 }), undefined);
  t.equal(g.ready(), false);
  await g.kill();
});

t.test('links fire on end, and when linked after the end', async (t) => {
  const seen: string[] = [];
  const ok = spawn(() => 'v');
  ok.link(() => seen.push('link'));
  ok.linkValue(() => seen.push('value'));
  ok.linkException(() => seen.push('never'));
  await ok.join();
  const [late] = await new Promise<Greenlet[]>((resolve) => ok.link((g) => resolve([g])));
  t.equal(late, ok);
  t.same(seen, ['link', 'value']);

  const bad = spawn(() => { throw new Error('x'); });
  const got: string[] = [];
  bad.linkException(() => got.push('exception'));
  bad.linkValue(() => got.push('never'));
  const cb = (): number => got.push('unlinked');
  bad.link(cb);
  bad.unlink(cb);
  await bad.join();
  t.same(got, ['exception']);
});

t.test('new Greenlet + start, startLater, spawnLater', async (t) => {
  const g = new Greenlet((x: number) => x * 2, 21);
  t.equal(g.started, false);
  await sleep(0.005);
  t.equal(g.ready(), false, 'not started: never runs');
  g.start();
  t.equal(await g, 42);
  const order: string[] = [];
  const later = spawnLater(0.02, () => order.push('later'));
  spawn(() => order.push('now'));
  await later;
  t.same(order, ['now', 'later']);
});

t.test('Greenlet.spawn static', async (t) => {
  t.equal(await Greenlet.spawn(() => 'static'), 'static');
});

t.test('a killed greenlet counts as successful with the GreenletExit as value', async (t) => {
  const g = spawn(() => sleep(10));
  await sleep(0);
  await g.kill();
  t.ok(g.dead);
  t.ok(g.successful());
  t.type(g.value, GreenletExit);
  t.equal(await g.get(), g.value);
});

t.test('a body that raises GreenletExit itself ends quietly: a success whose value is the exit, as in gevent', async (t) => {
  const reported: unknown[] = [];
  hub.errorHandler = (_g, err) => reported.push(err);
  t.teardown(() => void (hub.errorHandler = null));
  const exit = new GreenletExit('done early');
  const g = spawn(() => { throw exit; });
  const h = spawn(async () => { await sleep(0); throw new GreenletExit(); });
  t.same(await joinAll([g, h], { raiseError: true }), [g, h], 'joinAll raiseError does not reject');
  t.equal(g.successful(), true);
  t.equal(g.value, exit);
  t.equal(g.exception, null);
  t.equal(await g.get(), exit);
  t.type(h.value, GreenletExit);
  await sleep(0);
  t.same(reported, [], 'nothing reported');
});

t.test('get({ block: false }) rejects with a Timeout at once while the greenlet runs, as gevent\'s get(block=False)', async (t) => {
  const g = spawn(() => sleep(10));
  t.teardown(() => g.kill());
  const started = Date.now();
  await t.rejects(g.get({ block: false }), Timeout);
  await t.rejects(g.get({ block: false, timeout: 5 }), Timeout, 'block false wins over a timeout');
  t.ok(Date.now() - started < 1000);
  const done = spawn(() => 7);
  await done.join();
  t.equal(await done.get({ block: false }), 7, 'a dead greenlet gives its value');
  await t.rejects(g.get({ block: 'no' as never }), { name: 'TypeError', message: /"options.block"/ });
});

t.test('a link callback that returns a rejected promise is reported to the hub, never an unhandled rejection', async (t) => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  t.teardown(() => void process.off('unhandledRejection', onUnhandled));
  const reported: Array<[unknown, unknown]> = [];
  hub.errorHandler = (context, err) => reported.push([context, err]);
  t.teardown(() => void (hub.errorHandler = null));
  const g = spawn(() => 1);
  g.link(async () => { throw new RangeError('async link'); });
  const event = new Event();
  event.link(() => Promise.reject(new RangeError('event link')));
  const result = new AsyncResult();
  result.link(async () => { await sleep(0); throw new RangeError('result link'); });
  await g.join();
  event.set();
  result.set(1);
  while (reported.length < 3) await sleep(0.005);
  await new Promise((resolve) => setImmediate(resolve));
  t.same(reported.map(([, err]) => (err as Error).message).sort(), ['async link', 'event link', 'result link']);
  t.same(reported.map(([context]) => context).sort(), [g, event, result].sort());
  t.same(unhandled, []);
});
