import t from 'tap';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Local, local, sleep, spawn, withTimeout } from '../src/runtime/index.js';

t.test('local(): each greenlet sees its own properties', async (t) => {
  const ctx = local<{ user?: string; n?: number }>();
  const seen: Array<string | undefined> = [];
  const a = spawn(async () => {
    ctx.user = 'ann';
    await sleep(0.01);
    seen.push(ctx.user);
  });
  const b = spawn(async () => {
    seen.push(ctx.user);
    ctx.user = 'bob';
    await sleep(0.02);
    seen.push(ctx.user);
    t.same(Object.keys(ctx), ['user']);
    t.equal('user' in ctx, true);
  });
  await a;
  await b;
  t.same(seen, [undefined, 'ann', 'bob']);
  t.equal(ctx.user, undefined, 'outside greenlets: the main slot');
  ctx.n = 1;
  t.equal(await spawn(() => ctx.n), undefined);
  t.equal(ctx.n, 1);
});

t.test('Local: init per greenlet, shared by nested scopes', async (t) => {
  let inits = 0;
  const id = new Local<number>(() => ++inits);
  const g1 = spawn(async () => {
    const first = id.value;
    const nested = await withTimeout(1, async () => id.value);
    return [first, nested];
  });
  const r1 = await g1;
  const r2 = await spawn(() => id.value);
  t.same(r1, [r1[0], r1[0]]);
  t.not(r1[0], r2);
  t.equal(inits, 2);
  const plain = new Local<string>();
  t.equal(await spawn(() => {
    t.equal(plain.has(), false);
    plain.value = 'x';
    t.equal(plain.has(), true);
    plain.delete();
    return plain.value;
  }), undefined);
  t.throws(() => new Local(5 as never), TypeError);
});

t.test('a greenlet\'s values are released when it ends, while the greenlet object lives on', async (t) => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const slot = new Local<object>();
  const ctx = local<{ big?: object }>();
  let ref1: WeakRef<object> | undefined;
  let ref2: WeakRef<object> | undefined;
  const g = spawn(async () => {
    const a = { payload: new Array(1000).fill(1) };
    const b = { payload: new Array(1000).fill(2) };
    ref1 = new WeakRef(a);
    ref2 = new WeakRef(b);
    slot.value = a;
    ctx.big = b;
    await sleep(0);
  });
  await g;
  await sleep(0.01);
  gc();
  t.equal(g.dead, true, 'the greenlet object is still referenced');
  t.equal(ref1!.deref(), undefined, 'Local value collected');
  t.equal(ref2!.deref(), undefined, 'local() property collected');
});
