import t from 'tap';
import { Greenlet, spawn, sleep, joinAll, wait, iwait } from '../src/runtime/index.js';

const after = (seconds: number, value: unknown) => spawn(async () => { await sleep(seconds); return value; });

t.test('joinAll returns the finished greenlets in completion order', async (t) => {
  const a = after(0.3, 'a');
  const b = after(0.01, 'b');
  const c = after(0.15, 'c');
  const done = await joinAll([a, b, c]);
  t.same(done.map((g) => g.value), ['b', 'c', 'a']);
});

t.test('joinAll timeout returns exactly the finished subset and never rejects', async (t) => {
  const fast1 = after(0.005, 1);
  const slow = after(5, 'slow');
  const fast2 = after(0.001, 2);
  const done = await joinAll([fast1, slow, fast2], { timeout: 0.2 });
  t.same(done, [fast2, fast1]);
  t.equal(slow.ready(), false);
  await slow.kill();
});

t.test('joinAll count', async (t) => {
  const gs = [after(0.3, 'x'), after(0.001, 'y'), after(0.1, 'z')];
  const done = await joinAll(gs, { count: 2 });
  t.same(done.map((g) => g.value), ['y', 'z']);
  await joinAll(gs);
});

t.test('joinAll raiseError rejects with the first failure', async (t) => {
  const boom = new Error('boom');
  const gs = [after(0.5, 'late'), spawn(async () => { await sleep(0.1); throw boom; }), after(0.001, 'early')];
  await t.rejects(joinAll(gs, { raiseError: true }), boom);
  const ok = await joinAll([after(0.001, 1), after(0.002, 2)], { raiseError: true });
  t.equal(ok.length, 2);
  await joinAll(gs);
});

t.test('joinAll without raiseError includes failed greenlets', async (t) => {
  const bad = spawn(() => { throw new Error('quiet'); });
  const done = await joinAll([bad]);
  t.same(done, [bad]);
  t.equal(bad.successful(), false);
});

t.test('joinAll accepts any iterable and refuses non-iterables', async (t) => {
  const set = new Set([after(0.001, 1)]);
  t.equal((await joinAll(set)).length, 1);
  await t.rejects(joinAll(42 as never), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /"greenlets"/ });
  t.same(await joinAll([]), []);
});

t.test('wait with count and timeout over greenlets', async (t) => {
  const gs = [after(0.1, 1), after(0.001, 2), after(5, 3)];
  const first = await wait(gs, { count: 1 });
  t.same(first.map((g) => g.value), [2]);
  const some = await wait(gs, { timeout: 0.5 });
  t.same(some.map((g) => g.value), [2, 1]);
  await gs[2]!.kill();
  t.throws(() => wait([{}] as never), { name: 'TypeError', message: /objects\[0\]/ });
});

t.test('iwait yields in completion order and unlinks when the loop breaks', async (t) => {
  const gs = [after(0.3, 'c'), after(0.001, 'a'), after(0.15, 'b')];
  const seen: unknown[] = [];
  for await (const g of iwait(gs)) seen.push(g.value);
  t.same(seen, ['a', 'b', 'c']);

  const linked: Greenlet[] = [];
  const slow = after(0.05, 'slow');
  const fake = {
    ready: () => slow.ready(),
    link: (cb: (g: unknown) => void) => { linked.push(slow); slow.link(cb); },
    unlink: (cb: (g: unknown) => void) => { linked.pop(); slow.unlink(cb); },
  };
  const quick = after(0.001, 'quick');
  for await (const g of iwait([quick, fake])) {
    t.equal(g, quick);
    break;
  }
  t.equal(linked.length, 0, 'iwait unlinked from the object still pending');
  await slow;
});

t.test('iwait with a timeout ends the iteration', async (t) => {
  const slow = after(5, 'x');
  const seen: unknown[] = [];
  for await (const g of iwait([after(0.001, 'q'), slow], { timeout: 0.05 })) seen.push(g.value);
  t.same(seen, ['q']);
  await slow.kill();
});
