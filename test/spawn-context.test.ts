import t from 'tap';
import { AsyncLocalStorage, AsyncResource, createHook } from 'node:async_hooks';
import { Greenlet, getCurrent, joinAll, sleep, spawn, spawnLater } from '../src/runtime/index.js';

// A greenlet's body runs in its spawner's context, as every Node callback API runs a callback in
// its creator's: other AsyncLocalStorage values (a tracing span, a request id) come from the code
// that called spawn, never from whoever else spawned in the same turn of the loop.

t.test('two als.run in one synchronous stretch: each body sees its own spawner\'s value', async (t) => {
  const als = new AsyncLocalStorage<string>();
  const f = async (): Promise<unknown> => {
    const first = als.getStore();
    await sleep(0);
    return [first, als.getStore()];
  };
  const a = als.run('A', () => spawn(f));
  const b = als.run('B', () => spawn(f));
  const c = spawn(f); // outside both runs
  const d = als.run('A', () => spawn(f));
  t.same(await a, ['A', 'A']);
  t.same(await b, ['B', 'B']);
  t.same(await c, [undefined, undefined]);
  t.same(await d, ['A', 'A']);
});

t.test('a value changed with enterWith between two spawns reaches only the later one', async (t) => {
  const als = new AsyncLocalStorage<string>();
  const seen: Array<string | undefined> = [];
  await spawn(async () => {
    als.enterWith('first');
    const a = spawn(() => seen.push(als.getStore()));
    als.enterWith('second');
    const b = spawn(() => seen.push(als.getStore()));
    await joinAll([a, b]);
  });
  t.same(seen, ['first', 'second']);
});

t.test('two storages: a change in either one is seen', async (t) => {
  const x = new AsyncLocalStorage<number>();
  const y = new AsyncLocalStorage<number>();
  const read = (): unknown => [x.getStore(), y.getStore()];
  const gs = x.run(1, () => [
    y.run(1, () => spawn(read)),
    y.run(2, () => spawn(read)),
    x.run(3, () => spawn(read)),
    spawn(read),
  ]);
  t.same(await Promise.all(gs.map((g) => g.get())), [[1, 1], [1, 2], [3, undefined], [1, undefined]]);
});

t.test('two timer callbacks and two I/O-like callbacks of one turn keep their contexts apart', async (t) => {
  const als = new AsyncLocalStorage<string>();
  const results: Array<Promise<unknown>> = [];
  const f = (): unknown => als.getStore();
  await new Promise<void>((resolve) => {
    let left = 4;
    const each = (label: string) => () => {
      results.push(spawn(f).get().then((v) => [label, v]));
      if (--left === 0) resolve();
    };
    // Two timers due at the same instant run in one turn of the loop; so do two immediates.
    als.run('t1', () => setTimeout(each('t1'), 1));
    als.run('t2', () => setTimeout(each('t2'), 1));
    als.run('i1', () => setImmediate(each('i1')));
    als.run('i2', () => setImmediate(each('i2')));
  });
  const got = Object.fromEntries(await Promise.all(results) as Array<[string, unknown]>);
  t.same(got, { t1: 't1', t2: 't2', i1: 'i1', i2: 'i2' });
});

t.test('two promise continuations of one microtask checkpoint keep their contexts apart', async (t) => {
  const als = new AsyncLocalStorage<string>();
  const f = (): unknown => als.getStore();
  const p = Promise.resolve();
  const [a, b] = await Promise.all([
    als.run('p1', () => p.then(() => spawn(f))),
    als.run('p2', () => p.then(() => spawn(f))),
  ]);
  t.equal(await a, 'p1');
  t.equal(await b, 'p2');
});

t.test('a bound AsyncResource callback spawns in the resource\'s context', async (t) => {
  const als = new AsyncLocalStorage<string>();
  const bound = als.run('bound', () => AsyncResource.bind(() => spawn(() => als.getStore())));
  const before = als.run('other', () => spawn(() => als.getStore()));
  const g = als.run('other', bound);
  t.equal(await before, 'other');
  t.equal(await g, 'bound');
});

t.test('nested: a greenlet spawned from a greenlet sees its parent\'s other values', async (t) => {
  const als = new AsyncLocalStorage<string>();
  const child = (): unknown => als.getStore();
  const parent = async (): Promise<unknown> => {
    const early = spawn(child);
    await sleep(0);
    const late = spawn(child);
    const inner = als.run('inner', () => spawn(child));
    return [await early, await late, await inner];
  };
  const p1 = als.run('P1', () => spawn(parent));
  const p2 = als.run('P2', () => spawn(parent));
  t.same(await p1, ['P1', 'P1', 'inner']);
  t.same(await p2, ['P2', 'P2', 'inner']);
  // A body returning a greenlet has that greenlet's value, three levels down.
  t.equal(await als.run('Q', () => spawn(() => spawn(() => spawn(child)))), 'Q');
});

t.test('spawnLater and start() run in the context of start, like spawn', async (t) => {
  const als = new AsyncLocalStorage<string>();
  const f = (): unknown => als.getStore();
  const later = als.run('later', () => spawnLater(0.001, f));
  const g = als.run('made', () => new Greenlet(f));
  als.run('started', () => g.start());
  t.equal(await later, 'later');
  t.equal(await g, 'started');
});

t.test('many spawners in one stretch, more than one slice: every body sees its own value', async (t) => {
  const als = new AsyncLocalStorage<number>();
  const gs: Greenlet[] = [];
  for (let i = 0; i < 700; i++) gs.push(als.run(i % 3 === 0 ? i : -1, () => spawn(() => als.getStore())));
  const values = await Promise.all(gs.map((g) => g.get()));
  t.same(values, gs.map((_, i) => (i % 3 === 0 ? i : -1)));
});

t.test('a storage first used after the open batch began is seen by the later greenlet only', async (t) => {
  const before = spawn(() => 'opens a batch');
  const late = new AsyncLocalStorage<string>();
  const g = late.run('late', () => spawn(() => late.getStore()));
  const after = spawn(() => late.getStore());
  t.equal(await before, 'opens a batch');
  t.equal(await g, 'late');
  t.equal(await after, undefined);
});

t.test('a fan-out (each of many greenlets spawns one) fills shared batches: the spawner\'s scope is no other context', async (t) => {
  let batches = 0;
  const hook = createHook({
    init(_id, type) {
      if (type === 'nodevent:batch') batches++;
    },
  }).enable();
  t.teardown(() => hook.disable());
  const als = new AsyncLocalStorage<string>();
  const parents = als.run('fan', () => Array.from({ length: 200 }, (_, i) => spawn(async () => {
    const child = spawn(() => [als.getStore(), getCurrent()!.parent]);
    const [value, parent] = (await child) as [unknown, unknown];
    return value === 'fan' && parent === getCurrent() ? i : -1;
  })));
  const values = await Promise.all(parents.map((g) => g.get()));
  hook.disable();
  t.same(values, parents.map((_, i) => i), 'each child saw the value and its own parent');
  // The parents' batch and the children's: one each (DRAIN_SLICE is 256), however many spawners.
  t.ok(batches <= 4, `${batches} batches for 400 greenlets`);
});

t.test('async_hooks see an end for every resource the run queue starts (no init without destroy)', async (t) => {
  // A program's own async_hooks (an APM agent, a leak finder) pair init with destroy: a resource
  // the runtime makes and never ends looks like a leak of one per spawn.
  const live = new Map<number, string>();
  const hook = createHook({
    init(id, type) { if (type.startsWith('nodevent')) live.set(id, type); },
    destroy(id) { live.delete(id); },
  }).enable();
  t.teardown(() => { hook.disable(); });
  const als = new AsyncLocalStorage<number>();
  for (let round = 0; round < 3; round++) {
    // Spawns in several contexts, so batches open and close, and every spawn compares contexts.
    const jobs = Array.from({ length: 300 }, (_, i) => als.run(i % 3, () => spawn(async () => i)));
    await joinAll(jobs);
  }
  // destroy hooks run from a native immediate after the resource ends: wait until they are in.
  for (let i = 0; i < 50 && live.size > 0; i++) await new Promise((resolve) => setImmediate(resolve));
  t.same([...live.values()], [], 'every nodevent resource that began has ended');
});
