// gevent's test__timeout.py and test__api_timeout.py, translated to nodevent (Timeout#run stands for
// gevent's `with Timeout(...)` block). Not ported: test_timeout_calls_update_now and
// test_sleep_calls_update_now (they proxy libev's loop, which Node does not expose),
// test_expires_non_exception (any JavaScript value can be thrown, so there is no TypeError to
// raise), test_ref (weakref of the exception: nodevent keeps the exception on the Timeout as gevent
// does; nothing to translate).
import t from 'tap';
import { Timeout, sleep, spawn, withTimeout } from '../../src/runtime/index.js';

const DELAY = 0.01;

class ExpectedError extends Error {
  override name = 'ExpectedError';
}

t.test('test__timeout.py::TestDirectRaise::test_direct_raise_class / instance', async (t) => {
  const timeout = new Timeout();
  t.type(timeout, Error);
  t.notOk(timeout.pending);
  await t.rejects(Promise.reject(timeout), timeout);
});

t.test('test__timeout.py::Test::test_expires (the block raises the Timeout itself)', async (t) => {
  const timeout = new Timeout(DELAY);
  await t.rejects(timeout.run(() => sleep(10)), timeout);
  t.notOk(timeout.pending);
});

t.test('test__timeout.py::Test::test_expires_false (the expiry is swallowed)', async (t) => {
  const timeout = new Timeout(DELAY, false);
  t.equal(await timeout.run(() => sleep(10)), undefined);
  t.match(timeout.message, /\(silent\)$/, "test_context_manager_false: the message ends with '(silent)'");
});

t.test('test__timeout.py::Test::test_expires_str / test_context_manager_str (issue 13 item 6)', async (t) => {
  const timeout = new Timeout(DELAY, 'XXX');
  const error = await timeout.run(() => sleep(10)).catch((e: unknown) => e);
  t.equal(error, timeout, 'the Timeout itself is raised, not the string');
  t.match(String(error), /XXX$/);
  t.equal(timeout.message, `${DELAY} seconds: XXX`);
});

t.test('test__timeout.py::Test::test_cancel', async (t) => {
  const timeout = new Timeout(DELAY);
  timeout.start();
  timeout.cancel();
  await sleep(DELAY * 2);
  t.notOk(timeout.pending);
  t.notOk(timeout.fired);
});

t.test('test__timeout.py::Test::test_with_timeout', async (t) => {
  await t.rejects(withTimeout(DELAY, () => sleep(10)), Timeout);
  const X = {};
  t.equal(await withTimeout(DELAY, () => sleep(10), { timeoutValue: X }), X);
  t.equal(await withTimeout(DELAY, () => 'fast', { timeoutValue: X }), 'fast');
});

t.test('test__timeout.py: start() on a fired Timeout re-arms it (issue 13 item 9)', async (t) => {
  const timeout = new Timeout(DELAY);
  await t.rejects(timeout.run(() => sleep(10)), timeout);
  t.ok(timeout.fired);
  timeout.start();
  t.ok(timeout.pending, 'armed again');
  t.notOk(timeout.fired);
  t.notOk(timeout.signal.aborted, 'a fresh signal');
  await t.rejects(timeout.run(() => sleep(10)), timeout, 'and it fires again');
});

t.test('test__api_timeout.py::Test::test_api', async (t) => {
  // Nothing happens if the block finishes before the timeout expires; the timer is cancelled.
  const early = new Timeout(DELAY * 20);
  t.notOk(early.pending);
  await early.run(async () => {
    t.ok(early.pending);
    await sleep(DELAY);
  });
  t.notOk(early.pending);

  const expired = new Timeout(DELAY);
  await t.rejects(expired.run(() => sleep(DELAY * 100)), expired);

  // A custom exception, an instance or a class.
  const io = new ExpectedError('Operation takes way too long');
  await t.rejects(new Timeout(DELAY, io).run(() => sleep(DELAY * 100)), io);
  await t.rejects(new Timeout(DELAY, RangeError).run(() => sleep(DELAY * 100)), RangeError);

  // Cancelled inside the block.
  const cancelled = new Timeout(DELAY);
  await cancelled.run(async () => {
    cancelled.cancel();
    await sleep(DELAY * 2);
  });

  // false swallows the expiry before the block would end.
  t.equal(await new Timeout(DELAY, false).run(() => sleep(10)), undefined);

  // null (and undefined) seconds never fire.
  await new Timeout(null).run(() => sleep(DELAY));
  t.notOk(new Timeout(null).start().pending);
});

t.test('test__api_timeout.py::Test::test_nested_timeout', async (t) => {
  // The outer silent Timeout fires first and ends both blocks.
  let reached = false;
  await new Timeout(DELAY, false).run(async () => {
    await new Timeout(DELAY * 10, false).run(() => sleep(DELAY * 60));
    reached = true;
  });
  t.notOk(reached, 'should not get there');

  const t1 = new Timeout(DELAY);
  const t2 = new Timeout(DELAY * 100);
  await t1.run(() => t2.run(async () => {
    const error = await sleep(DELAY * 300).catch((e: unknown) => e);
    t.equal(error, t1, 'the outer deadline is the one raised');
    t.notOk(t1.pending);
    // gevent: t2 is still pending here, inside its with-block. nodevent's run() rejects as soon as
    // its scope aborts, without waiting for the body, so t2's block has already ended (and t2 was
    // cancelled) by the time the body's catch runs: no preemption (docs/runtime.md).
    t.notOk(t2.pending);
  })).catch((e: unknown) => t.equal(e, t1));
  t.notOk(t2.pending);

  const u1 = new Timeout(DELAY * 100);
  const u2 = new Timeout(DELAY);
  await u1.run(async () => {
    await u2.run(async () => {
      const error = await sleep(DELAY * 300).catch((e: unknown) => e);
      t.equal(error, u2, 'the inner deadline is the one raised');
      t.notOk(u2.pending);
    }).catch((e: unknown) => t.equal(e, u2));
  });
  t.notOk(u1.pending);
});

t.test('test__timeout.py: a Timeout inside a greenlet that is killed does not fire afterwards', async (t) => {
  const timeout = new Timeout(DELAY * 5);
  const g = spawn(() => timeout.run(() => sleep(10)));
  await sleep(0);
  await g.kill();
  t.notOk(timeout.pending, 'the run ended with the greenlet, and cancelled its timer');
});
