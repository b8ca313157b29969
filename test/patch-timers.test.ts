import t from 'tap';
import timers from 'node:timers';
import * as timersPromises from 'node:timers/promises';
import { spawn, sleep, withTimeout, GreenletExit, Timeout, type Greenlet } from '../src/runtime/index.js';
import { patchTimers, unpatchTimers } from '../src/patch/timers.js';
import { eventually, until } from './helpers/servers.js';
import { collectWarnings } from './helpers/warnings.js';

const originals = { setTimeout: globalThis.setTimeout, setInterval: globalThis.setInterval, setImmediate: globalThis.setImmediate };
patchTimers();
t.teardown(unpatchTimers);

const never = () => new Promise<never>(() => {});

/** Active timers and immediates of the process, by kind. */
const pendingTimers = () => {
  const kinds = process.getActiveResourcesInfo();
  return { Timeout: kinds.filter((k) => k === 'Timeout').length, Immediate: kinds.filter((k) => k === 'Immediate').length };
};

t.test('timers set in a killed greenlet never run', async (t) => {
  const fired: string[] = [];
  const baseline = pendingTimers();
  // Delays far above a loaded machine's scheduling delay (a 20 ms timer could fire before the
  // kill when the test process is starved, and the test would then be about timing, not kill).
  const g = spawn(() => {
    setTimeout(() => fired.push('timeout'), 400);
    setInterval(() => fired.push('interval'), 200);
    setImmediate(() => fired.push('immediate'));
    timers.setTimeout(() => fired.push('timers.setTimeout'), 400);
    return never();
  });
  await sleep(0); // the body ran
  t.equal(g.ownedCount, 4);
  await g.kill({ block: false });
  const same = (a: Record<string, number>, b: Record<string, number>) => a.Timeout === b.Timeout && a.Immediate === b.Immediate;
  await eventually(() => same(pendingTimers(), baseline), 5);
  t.same(pendingTimers(), baseline, 'every timer and the immediate were cleared by the kill');
  await sleep(0.5); // longer than every timer's delay: waits for what must not happen
  t.same(fired, []);
  t.ok(g.value instanceof GreenletExit);
});

t.test('timers under withTimeout are cleared at the deadline', async (t) => {
  const fired: string[] = [];
  const g = spawn(() =>
    withTimeout(0.02, () => {
      setTimeout(() => fired.push('late'), 80);
      return never();
    }),
  );
  await t.rejects(g.get(), Timeout);
  await sleep(0.12); // past the 80 ms timer: waits for what must not happen
  t.same(fired, []);
});

t.test('timers/promises reject with an AbortError whose cause is the reason', async (t) => {
  let caught: unknown;
  const g = spawn(async () => {
    try {
      await timersPromises.setTimeout(10_000);
    } catch (err) {
      caught = err;
    }
  });
  await until(() => g.ownedCount > 0); // the body waits in the timer
  await g.kill();
  t.equal((caught as Error).name, 'AbortError');
  t.ok((caught as Error).cause instanceof GreenletExit);
  let ticks = 0;
  const it = spawn(async () => {
    for await (const _ of timersPromises.setInterval(5)) ticks++;
  });
  await until(() => ticks >= 2);
  await it.kill();
  t.ok(it.value instanceof GreenletExit);
});

t.test('a greenlet that ends normally leaves its timers running; fired and cleared ones are disowned', async (t) => {
  let fired = false;
  const g = spawn(() => {
    setTimeout(() => (fired = true), 20);
    const i = setInterval(() => {}, 1000);
    clearInterval(i);
    return 'done';
  });
  t.equal(await g, 'done');
  await eventually(() => fired, 10);
  t.ok(fired);
  const h: Greenlet<number> = spawn(async () => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    await new Promise((resolve) => setImmediate(resolve));
    await timersPromises.setTimeout(1);
    return h.ownedCount;
  });
  t.equal(await h, 0);
});

t.test('one long-lived user signal shared by many timers: no listener pile-up, no warning', async (t) => {
  const warnings = collectWarnings(t);
  const ac = new AbortController();
  const gs = Array.from({ length: 200 }, () => spawn(() => timersPromises.setTimeout(10_000, undefined, { signal: ac.signal })));
  await until(() => gs.every((g) => g.ownedCount > 0));
  await Promise.all(gs.map((g) => g.kill()));
  const done = await Promise.all(Array.from({ length: 50 }, () => spawn(() => timersPromises.setTimeout(1, 'x', { signal: ac.signal }))));
  t.same(new Set(done), new Set(['x']));
  const userAbort = spawn(() => timersPromises.setTimeout(10_000, undefined, { signal: ac.signal }).catch((e: Error) => e.name));
  await until(() => userAbort.ownedCount > 0);
  ac.abort();
  t.equal(await userAbort, 'AbortError');
  await sleep(0.01);
  t.same(warnings.map((w) => w.name), []);
});

t.test('outside greenlets the timers are the originals in behaviour', async (t) => {
  let n = 0;
  await new Promise<void>((resolve) => setTimeout(() => { n++; resolve(); }, 1));
  t.equal(n, 1);
  t.not(globalThis.setTimeout, originals.setTimeout, 'patched');
});

t.test('unpatchTimers restores identity', async (t) => {
  unpatchTimers();
  t.equal(globalThis.setTimeout, originals.setTimeout);
  t.equal(globalThis.setInterval, originals.setInterval);
  t.equal(globalThis.setImmediate, originals.setImmediate);
  t.equal(timers.setTimeout, originals.setTimeout);
  patchTimers();
});
