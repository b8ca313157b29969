import t from 'tap';
import { PassThrough } from 'node:stream';
import { hub, spawn, sleep, Greenlet, Event, Timeout, joinAll, wait, iwait, Pool, Group } from '../src/runtime/index.js';

const unhandled: unknown[] = [];
process.on('unhandledRejection', (reason) => unhandled.push(reason));

function capture(): { text: () => string; restore: () => void } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const previous = hub.exceptionStream;
  hub.exceptionStream = stream;
  return { text: () => text, restore: () => void (hub.exceptionStream = previous) };
}

t.test('an unobserved failure is printed with the name and stack, and is no unhandled rejection', async (t) => {
  const out = capture();
  t.teardown(out.restore);
  const g = spawn(async () => {
    await sleep(0.001);
    throw new Error('nobody listens');
  });
  g.name = 'lonely';
  while (!g.dead) await sleep(0.005); // polling, not joining: a join would observe it
  await sleep(0.005);
  t.match(out.text(), /^<Greenlet "lonely"> failed with Error: nobody listens\n/);
  t.match(out.text(), /at .*hub\.test\.ts/, 'the stack follows');
  await new Promise((resolve) => setImmediate(resolve));
  t.same(unhandled, []);
});

t.test('an observed failure is not printed', async (t) => {
  const out = capture();
  t.teardown(out.restore);
  const joined = spawn(async () => { await sleep(0.001); throw new Error('joined'); });
  void joined.join();
  const linked = spawn(async () => { await sleep(0.001); throw new Error('linked'); });
  linked.linkException(() => {});
  const awaited = spawn(async () => { await sleep(0.001); throw new Error('awaited'); });
  await t.rejects(async () => { await awaited; }, /awaited/);
  await sleep(0.01);
  t.equal(out.text(), '');
  t.same(unhandled, []);
});

t.test('errorHandler receives the failure; null stream silences', async (t) => {
  const seen: Array<[Greenlet, unknown]> = [];
  hub.errorHandler = (g, err) => seen.push([g, err]);
  t.teardown(() => void (hub.errorHandler = null));
  const g = spawn(() => { throw new TypeError('handled'); });
  while (!g.dead) await sleep(0.005);
  t.equal(seen.length, 1);
  t.equal(seen[0]![0], g);
  t.match(seen[0]![1], { name: 'TypeError', message: 'handled' });
  hub.errorHandler = null;
  const previous = hub.exceptionStream;
  hub.exceptionStream = null;
  spawn(() => { throw new Error('silenced'); });
  await sleep(0.005);
  hub.exceptionStream = previous;
  t.same(unhandled, []);
});

t.test('an exception thrown by a link callback is reported, others still run', async (t) => {
  const out = capture();
  t.teardown(out.restore);
  const g = spawn(() => 1);
  const ran: string[] = [];
  g.link(() => { throw new Error('bad link'); });
  g.link(() => ran.push('second'));
  await g.join();
  await sleep(0.001);
  t.same(ran, ['second']);
  t.match(out.text(), /failed with Error: bad link/);
});

t.test('a wait that ended before the failure does not silence it', async (t) => {
  const seen: string[] = [];
  hub.errorHandler = (_g, err) => seen.push((err as Error).message);
  t.teardown(() => void (hub.errorHandler = null));
  const gate = new Event();
  const failLater = (name: string): Greenlet => spawn(async () => {
    await gate.wait();
    throw new Error(name);
  });
  const afterJoin = failLater('after join timeout');
  await afterJoin.join({ timeout: 0.001 });
  const afterGet = failLater('after get timeout');
  await t.rejects(afterGet.get({ timeout: 0.001 }), Timeout);
  const afterJoinAll = failLater('after joinAll timeout');
  await joinAll([afterJoinAll], { timeout: 0.001 });
  const afterWait = failLater('after wait timeout');
  await wait([afterWait], { timeout: 0.001 });
  const afterUnlink = failLater('after unlink');
  const cb = (): void => {};
  afterUnlink.link(cb);
  afterUnlink.unlink(cb);
  const valueOnly = failLater('with only a linkValue');
  valueOnly.linkValue(() => {});
  const afterBreak = failLater('after an iwait break');
  for await (const _ of iwait([afterBreak, spawn(() => 1)])) break;
  const stillJoined = failLater('joined');
  const joining = stillJoined.join();
  gate.set();
  await joining;
  await joinAll([afterJoin, afterGet, afterJoinAll, afterWait, afterUnlink, valueOnly, afterBreak]);
  await sleep(0);
  t.same(seen.sort(), [
    'after an iwait break', 'after get timeout', 'after join timeout', 'after joinAll timeout',
    'after unlink', 'after wait timeout', 'with only a linkValue',
  ], 'each reported once; the one still joined is not');
});

t.test('a failure at once that the caller awaits or maps is not reported', async (t) => {
  const seen: unknown[] = [];
  hub.errorHandler = (_g, err) => seen.push(err);
  t.teardown(() => void (hub.errorHandler = null));
  await t.rejects(async () => { await spawn(() => { throw new Error('sync'); }); }, /sync/);
  const thrower = (): never => { throw new Error('in map'); };
  for (const set of [new Pool(2), new Group()]) {
    await t.rejects(set.map(thrower, [1, 2]), /in map/);
    await t.rejects(set.apply(thrower), /in map/);
    await t.rejects(async () => { for await (const _ of set.imap(thrower, [1])); }, /in map/);
  }
  await sleep(0);
  t.same(seen, []);
  spawn(() => { throw new Error('nobody'); });
  await sleep(0);
  t.equal(seen.length, 1, 'one nobody awaits still is');
});

t.test('a throwing errorHandler: the stream gets the failure and the handler\'s error', async (t) => {
  const out = capture();
  t.teardown(out.restore);
  hub.errorHandler = () => { throw new Error('handler broke'); };
  t.teardown(() => void (hub.errorHandler = null));
  const g = spawn(() => { throw new Error('original'); });
  g.name = 'failing';
  while (!g.dead) await sleep(0.001);
  await sleep(0);
  t.match(out.text(), /^<Greenlet "failing"> failed with Error: original\n[^]*hub\.errorHandler failed with Error: handler broke\n/);
});
