import t from 'tap';
import { Timeout, withTimeout, sleep, spawn, currentSignal, GreenletExit } from '../src/runtime/index.js';

t.test('withTimeout rejects with a Timeout at the deadline and aborts the nested scope', async (t) => {
  let signal!: AbortSignal;
  const err = await withTimeout(0.01, async () => {
    signal = currentSignal()!;
    await sleep(30);
  }).catch((e: unknown) => e);
  t.type(err, Timeout);
  t.equal(signal.aborted, true);
  t.equal(signal.reason, err);
});

t.test('withTimeout timeoutValue, and the value when in time', async (t) => {
  t.equal(await withTimeout(0.01, () => sleep(30), { timeoutValue: 'late' }), 'late');
  t.equal(await withTimeout(1, async () => 'ok'), 'ok');
  t.equal(await withTimeout(null, async () => 'never fires'), 'never fires');
});

t.test('withTimeout settles at the deadline even if fn awaits something nobody owns', async (t) => {
  const forever = new Promise<never>(() => {});
  await t.rejects(withTimeout(0.01, () => forever), Timeout);
});

t.test('nested timeouts tell which one fired', async (t) => {
  const outer = new Timeout(0.01);
  const inner = new Timeout(5);
  const e1 = await outer.run(() => inner.run(() => sleep(30))).catch((e: unknown) => e);
  t.equal(e1, outer, 'the outer fired');
  t.equal(inner.pending, false, 'the inner timer was cancelled');

  const outer2 = new Timeout(5);
  const inner2 = new Timeout(0.01);
  const e2 = await outer2.run(async () => {
    try {
      await inner2.run(() => sleep(30));
    } catch (err) {
      if (err !== inner2) throw err;
      return 'inner fired';
    }
    return 'no';
  });
  t.equal(e2, 'inner fired');
  t.equal(outer2.pending, false);
});

t.test('Timeout(s, false) swallows its own expiry; a custom exception is raised instead', async (t) => {
  t.equal(await new Timeout(0.01, false).run(() => sleep(30)), undefined);
  class Slow extends Error {}
  t.type(await new Timeout(0.01, Slow).run(() => sleep(30)).catch((e: unknown) => e), Slow);
  const e = new Error('custom');
  await t.rejects(new Timeout(0.01, e).run(() => sleep(30)), e);
});

t.test('Timeout 0 fires on the next turn; start, cancel, pending, startNew, signal', async (t) => {
  const zero = new Timeout(0);
  await t.rejects(zero.run(() => sleep(1)), zero);
  const tm = Timeout.startNew(0.01);
  t.equal(tm.pending, true);
  await new Promise((resolve) => tm.signal.addEventListener('abort', resolve));
  t.equal(tm.signal.reason, tm);
  t.equal(tm.pending, false);
  t.equal(tm.fired, true);
  const c = Timeout.startNew(0.01);
  c.cancel();
  t.equal(c.pending, false);
  await sleep(0.02);
  t.equal(c.signal.aborted, false);
  const never = new Timeout(null).start();
  t.equal(never.pending, false);
});

t.test('a greenlet whose timeout fires fails with the Timeout; its kill reason wins inside', async (t) => {
  const g = spawn(() => withTimeout(0.01, () => sleep(30)));
  g.link(() => {});
  await g.join();
  t.type(g.exception, Timeout);
  const h = spawn(() => withTimeout(5, () => sleep(30)));
  await sleep(0.002);
  await h.kill();
  t.type(h.value, GreenletExit, 'killing the greenlet aborts its nested timeout scope with GreenletExit');
});

t.test('bad seconds give RangeError/TypeError naming the argument', async (t) => {
  t.throws(() => new Timeout(-1), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: /"seconds"/ });
  t.throws(() => new Timeout(NaN), RangeError);
  t.throws(() => new Timeout('1' as never), { name: 'TypeError', message: /"seconds"/ });
  await t.rejects(withTimeout(-0.5, () => 1), RangeError);
  t.throws(() => sleep(NaN), { name: 'RangeError', message: /"seconds"/ });
  t.throws(() => sleep(-1), RangeError);
  t.throws(() => sleep(3e9), RangeError, 'beyond what Node timers accept');
  const g = spawn(() => 1);
  t.throws(() => g.join({ timeout: -1 }), { name: 'RangeError', message: /options\.timeout/ });
  await g;
});
