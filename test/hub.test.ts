import t from 'tap';
import { PassThrough } from 'node:stream';
import { hub, spawn, sleep, Greenlet } from '../src/runtime/index.js';

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
