import t from 'tap';
import { spawn, sleep, killAll, joinAll, withTimeout, Timeout } from '../src/runtime/index.js';

const resources = (): string[] => process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').sort();

t.test('10,000 greenlets killed mid-sleep leave no active timers', async (t) => {
  await sleep(0.01);
  const baseline = resources();
  const gs = Array.from({ length: 10_000 }, (_, i) => spawn(() => sleep(60 + i / 1000)));
  await sleep(0.01);
  t.ok(resources().filter((r) => r === 'Timeout').length > 0, 'the sleeps hold timers');
  await killAll(gs);
  await sleep(0.01);
  t.same(resources(), baseline);
  t.ok(gs.every((g) => g.dead));
});

t.test('10,000 timeouts that fire leave no timers and no pending scopes', async (t) => {
  const baseline = resources();
  const gs = Array.from({ length: 10_000 }, () => spawn(() => withTimeout(0.01, () => sleep(60), { timeoutValue: 'late' })));
  const done = await joinAll(gs);
  t.equal(done.length, 10_000);
  t.ok(gs.every((g) => g.value === 'late'));
  t.same(resources(), baseline);
});

t.test('timeouts that do not fire are cancelled', async (t) => {
  const baseline = resources();
  for (let i = 0; i < 1000; i++) await withTimeout(30, async () => i);
  const tm = new Timeout(30);
  await tm.run(() => sleep(0));
  t.equal(tm.pending, false);
  t.same(resources(), baseline);
});

t.test('get/join timeouts leave no timers once the greenlet ends', async (t) => {
  const baseline = resources();
  const gs = Array.from({ length: 1000 }, () => spawn(() => sleep(0.01)));
  await Promise.all(gs.map((g) => g.get({ timeout: 30 })));
  await Promise.all(gs.map((g) => g.join({ timeout: 30 })));
  t.same(resources(), baseline);
});

t.test('a long-lived parent forgets children that ended (no growth of owned resources)', async (t) => {
  const parent = spawn(async () => {
    for (let i = 0; i < 2000; i++) await spawn(() => i);
    return parent.ownedCount;
  });
  t.equal(await parent, 0);
});
