import t from 'tap';
import { spawn, spawnLater, Greenlet, joinAll, killAll, sleep } from '../src/runtime/index.js';

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
