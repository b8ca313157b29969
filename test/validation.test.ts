import t from 'tap';
import { spawn, spawnLater, Greenlet, GreenletExit, joinAll, killAll, sleep, withTimeout, Timeout } from '../src/runtime/index.js';

t.test('spawn refuses a non-function at the call', async (t) => {
  t.throws(() => spawn(42 as never), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /"fn" argument must be of type function.*number \(42\)/ });
  t.throws(() => new Greenlet(null as never), TypeError);
  t.throws(() => spawnLater(1, 'x' as never), TypeError);
});

t.test('spawnLater refuses NaN, negative and infinite delays', async (t) => {
  t.throws(() => spawnLater(NaN, () => 1), { name: 'RangeError', message: /"seconds"/ });
  t.throws(() => spawnLater(-1, () => 1), RangeError);
  t.throws(() => spawnLater(Infinity, () => 1), { name: 'RangeError', message: /finite/ });
});

t.test('kill and get check their timeouts', async (t) => {
  const g = spawn(() => sleep(1));
  t.throws(() => g.kill({ timeout: NaN }), { name: 'RangeError', message: /options\.timeout/ });
  await t.rejects(g.get({ timeout: -2 }), RangeError);
  await g.kill();
});

t.test('joinAll/killAll refuse non-iterables, link refuses non-functions', async (t) => {
  await t.rejects(joinAll(undefined as never), { name: 'TypeError', message: /"greenlets"/ });
  await t.rejects(killAll({} as never), TypeError);
  await t.rejects(joinAll([spawn(() => 1)], { timeout: -1 }), RangeError);
  const g = spawn(() => 1);
  t.throws(() => g.link('no' as never), { name: 'TypeError', message: /"callback"/ });
  await g;
});

t.test('joinAll, killAll, withTimeout, Timeout and kill name the bad argument; killAll kills nothing then', async (t) => {
  const code = 'ERR_INVALID_ARG_TYPE';
  await t.rejects(joinAll([42] as never), { name: 'TypeError', code, message: /"greenlets\[0\]"/ });
  const g = spawn(() => sleep(10));
  await t.rejects(killAll([g, 42] as never), { name: 'TypeError', code, message: /"greenlets\[1\]" argument must be an instance of Greenlet/ });
  t.equal(g.dead, false, 'the valid greenlet before the bad one is not killed');
  await t.rejects(withTimeout(1, 42 as never), { name: 'TypeError', code, message: /"fn"/ });
  await t.rejects(new Timeout(1).run(42 as never), { name: 'TypeError', code, message: /"fn"/ });
  const arrow = (): Error => new Error('x');
  t.throws(() => g.kill({ exception: arrow }), { name: 'TypeError', code, message: /"options\.exception"/ });
  t.equal(g.dead, false, 'a kill refused at the call kills nothing');
  await t.rejects(killAll([g], { exception: arrow }), { name: 'TypeError', code, message: /"options\.exception"/ });
  t.throws(() => new Timeout(1, arrow), { name: 'TypeError', code, message: /"exception"/ });
  class Stop extends Error {}
  function Legacy(this: { message: string }): void { this.message = 'legacy'; }
  await g.kill({ exception: Stop });
  t.type(g.exception, Stop, 'a class is still instantiated');
  const h = spawn(() => sleep(10));
  await h.kill({ exception: Legacy });
  t.match(h.exception, { message: 'legacy' }, 'so is an old-style constructor function');
});

t.test('exception null means the default, as Python\'s None: a GreenletExit for a kill, the Timeout itself', async (t) => {
  const g = spawn(() => sleep(10));
  await g.kill({ exception: null });
  t.type(g.value, GreenletExit);
  t.equal(g.successful(), true);
  const timeout = new Timeout(0.001, null);
  await t.rejects(timeout.run(() => sleep(10)), timeout);
});
