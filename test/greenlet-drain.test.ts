// The run queue: bodies enter their greenlet's scope inside the drain's own context, and a long
// batch runs in slices. What must hold whatever the slicing: every body and its continuations see
// their own greenlet and the spawner's other AsyncLocalStorage values, bodies start in spawn
// order, and nothing after the drain runs in a greenlet's scope.
import t from 'tap';
import { AsyncLocalStorage } from 'node:async_hooks';
import { currentScope, getCurrent, joinAll, spawn, hub, type Greenlet } from '../src/runtime/index.js';

// More than several slices, so that every rule is checked across slice boundaries.
const MANY = 2_000;

t.test('each body and its continuations see their own greenlet, across slices', async (t) => {
  const seen: boolean[] = [];
  const body = async (i: number): Promise<number> => {
    const me = getCurrent();
    const before = currentScope() === me;
    await null;
    await new Promise((resolve) => setImmediate(resolve));
    seen[i] = before && getCurrent() === me && currentScope() === me && gs[i] === me;
    return i;
  };
  const gs: Greenlet<number>[] = [];
  for (let i = 0; i < MANY; i++) gs.push(spawn(body, i));
  await joinAll(gs);
  t.equal(seen.filter(Boolean).length, MANY, 'every body saw itself before and after awaiting');
  t.same(gs.map((g) => g.value), gs.map((_, i) => i));
});

t.test("the spawner's own AsyncLocalStorage values reach the bodies it spawned", async (t) => {
  const request = new AsyncLocalStorage<string>();
  const seen: (string | undefined)[] = [];
  const gs = request.run('request-1', () => Array.from({ length: MANY }, (_, i) => spawn(async () => {
    seen[i] = request.getStore();
    await null;
    if (request.getStore() !== 'request-1') seen[i] = 'lost after await';
  })));
  await joinAll(gs);
  t.equal(seen.filter((v) => v === 'request-1').length, MANY);
});

t.test('bodies start in spawn order; a spawn from a body runs after the queue before it', async (t) => {
  const order: number[] = [];
  const gs: Greenlet[] = [];
  for (let i = 0; i < MANY; i++) {
    gs.push(spawn(() => {
      order.push(i);
      if (i === 0) gs.push(spawn(() => order.push(-1)));
    }));
  }
  await joinAll(gs);
  await joinAll(gs); // the late one was pushed while the first join was waiting
  t.same(order, [...Array.from({ length: MANY }, (_, i) => i), -1]);
});

t.test('after the drain, code outside any greenlet is outside every scope', async (t) => {
  const outside: unknown[] = [];
  const gs: Greenlet[] = [];
  for (let i = 0; i < MANY; i++) gs.push(spawn(() => {}));
  // Queued behind the first slice's drain: it runs between slices.
  queueMicrotask(() => outside.push(currentScope()));
  await null;
  outside.push(currentScope());
  await joinAll(gs);
  outside.push(currentScope());
  setImmediate(() => outside.push(currentScope()));
  await new Promise((resolve) => setImmediate(resolve));
  t.same(outside, [undefined, undefined, undefined, undefined]);
});

t.test('a body that throws at once does not stop the rest of its slice', async (t) => {
  const reported: unknown[] = [];
  const saved = hub.errorHandler;
  hub.errorHandler = (_g, error) => reported.push(error);
  t.teardown(() => { hub.errorHandler = saved; });
  let ran = 0;
  const gs = Array.from({ length: MANY }, (_, i) => spawn(() => {
    ran++;
    if (i % 100 === 7) throw new Error(`boom ${i}`);
  }));
  await joinAll(gs);
  t.equal(ran, MANY);
  t.equal(gs.filter((g) => g.exception !== null).length, MANY / 100);
  t.equal(reported.length, 0, 'joinAll observed them: nothing reported');
});

t.test("a body's promise settled from another greenlet's code ends the body's own greenlet", async (t) => {
  // The body's result is followed by handlers shared by all greenlets, which find their greenlet
  // in the context the result was followed in; it must not be the context it was settled in.
  let resolveA!: (value: string) => void;
  let rejectC!: (error: Error) => void;
  const a = spawn(() => new Promise<string>((resolve) => { resolveA = resolve; }));
  const c = spawn(() => new Promise<string>((_resolve, reject) => { rejectC = reject; }));
  await null;
  const boom = new Error('from b');
  const b = spawn(async () => {
    await null;
    resolveA('from b');
    rejectC(boom);
    await new Promise((resolve) => setImmediate(resolve));
    return 'b';
  });
  t.same(await joinAll([a, b, c]).then((gs) => gs.length), 3);
  t.equal(a.value, 'from b');
  t.equal(c.exception, boom);
  t.equal(b.value, 'b', 'the settling greenlet kept its own result');
  t.ok(a.dead && b.dead && c.dead);
});
