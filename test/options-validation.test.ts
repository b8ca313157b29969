import t from 'tap';
import { AsyncResult, Event, Lock, RLock, Semaphore, iwait, joinAll, killAll, sleep, spawn, wait, withTimeout } from '../src/runtime/index.js';

// A number where an options object belongs (`g.join(0.3)` for `g.join({ timeout: 0.3 })`) used to
// read as "no options": the call waited forever. Every options argument is checked at the call.
const bad = [0.3, 'x', null, true, [1]] as const;
const named = { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /The "options" argument must be of type object/ };

t.test('Greenlet.join, get and kill refuse options that are not an object', async (t) => {
  const g = spawn(() => sleep(60));
  t.teardown(() => g.kill());
  for (const value of bad) {
    t.throws(() => g.join(value as never), named, `join(${String(value)})`);
    await t.rejects(g.get(value as never), named, `get(${String(value)})`);
    t.throws(() => g.kill(value as never), named, `kill(${String(value)})`);
  }
  t.throws(() => g.join(0.3 as never), { message: /Received type number \(0\.3\)/ }, 'the message shows what was passed');
  t.throws(() => g.kill({ block: 'yes' as never }), { name: 'TypeError', message: /"options\.block" argument must be of type boolean/ });
  t.equal(g.dead, false, 'a refused kill killed nothing');
  await g.kill();
  t.equal(g.dead, true);
});

t.test('wait, iwait, joinAll and killAll refuse options that are not an object', async (t) => {
  const g = spawn(() => 1);
  for (const value of bad) {
    t.throws(() => wait([g], value as never), named);
    t.throws(() => iwait([g], value as never), named);
    await t.rejects(joinAll([g], value as never), named);
    await t.rejects(killAll([g], value as never), named);
  }
  await t.rejects(joinAll([g], { raiseError: 1 as never }), { message: /"options\.raiseError"/ });
  await t.rejects(killAll([], { timeout: 'soon' as never }), { message: /"options\.timeout"/ }, 'checked with no greenlet too');
  await t.rejects(killAll([g], { block: 0 as never }), { message: /"options\.block"/ });
  t.equal(await g, 1);
});

t.test('Event.wait, AsyncResult.wait/get, lock acquire and withTimeout refuse options that are not an object', async (t) => {
  const event = new Event();
  const result = new AsyncResult<number>();
  for (const value of bad) {
    await t.rejects(event.wait(value as never), named);
    await t.rejects(result.wait(value as never), named);
    await t.rejects(result.get(value as never), named);
    await t.rejects(new Semaphore(0).acquire(value as never), named);
    await t.rejects(new Lock().acquire(value as never), named);
    await t.rejects(new RLock().acquire(value as never), named);
    await t.rejects(withTimeout(1, () => 1, value as never), named);
  }
  await t.rejects(result.get({ block: 'no' as never }), { message: /"options\.block"/ });
  await t.rejects(new Semaphore(0).acquire({ blocking: 'no' as never }), { message: /"options\.blocking"/ });
  // Nothing waits on: the refused calls left no waiter behind.
  result.set(5);
  t.equal(await result.get(), 5);
});

t.test('undefined and {} still mean the defaults', async (t) => {
  const g = spawn(() => 2);
  await g.join(undefined);
  await g.join({});
  t.equal(await g.get({}), 2);
  t.same(await wait([g], {}), [g]);
  await killAll([g], undefined);
});
