import t from 'tap';
import { queueBehaviour } from './helpers/queue-behaviour.js';
import {
  Channel, Empty, Full, GreenletExit, LifoQueue, PriorityQueue, Queue, ShutDown, SimpleQueue, sleep, spawn, withTimeout,
} from '../src/runtime/index.js';

queueBehaviour(t, 'Queue', () => new Queue());
queueBehaviour(t, 'Queue(3)', () => new Queue(3));

t.test('put waits while full; waiting putters are served in order', async (t) => {
  const q = new Queue<string>(1);
  await q.put('a');
  t.equal(q.full(), true);
  const putters = ['b', 'c', 'd'].map((x) => spawn(() => q.put(x)));
  await sleep(0.01);
  t.equal(q.waiting.putters, 3);
  t.same([await q.get(), await q.get(), await q.get(), await q.get()], ['a', 'b', 'c', 'd']);
  for (const p of putters) await p;
  t.equal(q.qsize(), 0);
});

t.test('putNowait / getNowait / peek; Full and Empty', async (t) => {
  const q = new Queue<number>(2);
  q.putNowait(1);
  q.putNowait(2);
  t.throws(() => q.putNowait(3), Full);
  await t.rejects(q.put(3, { timeout: 0.02 }), Full);
  await t.rejects(q.put(3, { block: false }), Full);
  t.equal(await q.peek(), 1);
  t.equal(q.peekNowait(), 1);
  t.equal(q.getNowait(), 1);
  t.equal(q.getNowait(), 2);
  t.throws(() => q.getNowait(), Empty);
  t.throws(() => q.peekNowait(), Empty);
  await t.rejects(q.peek({ timeout: 0.02 }), Empty);
  const peeker = spawn(() => q.peek());
  await sleep(0.01);
  q.putNowait(9);
  t.equal(await peeker, 9);
  t.equal(q.qsize(), 1, 'peek does not remove');
});

t.test('a getter killed right after an item was handed to it passes the item on', async (t) => {
  const q = new Queue<string>();
  const first = spawn(() => q.get());
  const second = spawn(() => q.get());
  await sleep(0.01);
  q.putNowait('x'); // handed to `first`...
  await first.kill({ block: false }); // ...which dies before it resumes
  t.equal(await second.get({ timeout: 1 }), 'x');
  t.equal(q.unfinishedTasks, 1);

  q.putNowait('y');
  t.equal(await spawn(() => q.get()), 'y');
  const other = spawn(() => q.get());
  await sleep(0.01);
  q.putNowait('z');
  void other.kill({ block: false });
  await sleep(0.01);
  t.equal(q.qsize(), 1, 'no getter left: the item is back in the queue');
  t.equal(q.getNowait(), 'z');
});

t.test('killed and timed-out waiters leave no waiter and no timer behind', async (t) => {
  const q = new Queue<number>(1);
  q.putNowait(0);
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const before = timers();
  const getters = [1, 2, 3].map(() => spawn(() => new Queue().get({ timeout: 60 })));
  const putters = [1, 2].map((n) => spawn(() => q.put(n, { timeout: 60 })));
  await sleep(0.01);
  t.equal(q.waiting.putters, 2);
  t.ok(timers() >= before + 5);
  for (const g of [...getters, ...putters]) await g.kill();
  t.equal(q.waiting.putters, 0);
  t.equal(timers(), before);
  t.equal(q.qsize(), 1, 'the killed putters added nothing');
  const r = await withTimeout(0.02, () => q.put(5), { timeoutValue: 'timed out' });
  t.equal(r, 'timed out');
  t.equal(q.waiting.putters, 0);
});

t.test('LifoQueue and PriorityQueue order', async (t) => {
  const lifo = new LifoQueue<number>();
  for (const n of [1, 2, 3]) lifo.putNowait(n);
  t.same([lifo.getNowait(), lifo.getNowait(), lifo.getNowait()], [3, 2, 1]);
  const pq = new PriorityQueue<[number, string]>();
  for (const item of [[3, 'c'], [1, 'a'], [2, 'b'], [1, 'A']] as [number, string][]) pq.putNowait(item);
  t.same(await pq.peek(), [1, 'A']);
  const out: string[] = [];
  while (!pq.empty()) out.push(pq.getNowait()[1]);
  t.same(out, ['A', 'a', 'b', 'c']);
  const desc = new PriorityQueue<number>(undefined, { compare: (a, b) => b - a });
  for (const n of [5, 9, 1]) desc.putNowait(n);
  t.equal(desc.getNowait(), 9);
  t.equal(desc.unfinishedTasks, 3);
});

t.test('Channel: put waits for a getter (rendezvous)', async (t) => {
  const ch = new Channel<string>();
  t.equal(ch.qsize(), 0);
  t.equal(ch.full(), true);
  t.throws(() => ch.putNowait('x'), Full);
  const events: string[] = [];
  const putter = spawn(async () => {
    await ch.put('ping');
    events.push('put returned');
  });
  await sleep(0.02);
  t.equal(putter.ready(), false, 'nobody took it yet');
  t.equal(ch.balance, 1);
  events.push('get');
  t.equal(await ch.get(), 'ping');
  await putter;
  t.same(events, ['get', 'put returned']);
  const getter = spawn(() => ch.get());
  await sleep(0.01);
  t.equal(ch.balance, -1);
  ch.putNowait('direct');
  t.equal(await getter, 'direct');
});

t.test('SimpleQueue has no taskDone; taskDone too often throws', async (t) => {
  const sq = new SimpleQueue<number>();
  t.equal('taskDone' in sq, false);
  const q = new Queue<number>();
  t.throws(() => q.taskDone(), { name: 'RangeError', code: 'ERR_QUEUE_TASK_DONE' });
});

t.test('shutdown rejects waiting putters; putNowait after shutdown throws', async (t) => {
  const q = new Queue<number>(1);
  q.putNowait(1);
  const putter = spawn(() => q.put(2));
  await sleep(0.01);
  q.shutdown();
  await t.rejects(putter.get(), ShutDown);
  t.throws(() => q.putNowait(3), ShutDown);
  t.equal(q.getNowait(), 1, 'items already in are still drained');
  t.throws(() => q.getNowait(), ShutDown);
});

t.test('a getter killed while iterating ends with GreenletExit, nothing lost', async (t) => {
  const q = new Queue<number>();
  const seen: number[] = [];
  const consumer = spawn(async () => {
    for await (const n of q) seen.push(n);
  });
  await sleep(0.01);
  await consumer.kill();
  t.ok(consumer.value instanceof GreenletExit);
  q.putNowait(1);
  t.equal(q.qsize(), 1);
  t.same(seen, []);
});

t.test('bad input', async (t) => {
  for (const bad of [0, -1, NaN, 1.5]) t.throws(() => new Queue(bad), { name: 'RangeError', message: /"maxsize"/ });
  t.throws(() => new Queue('3' as unknown as number), { name: 'TypeError', message: /"maxsize"/ });
  await t.rejects(new Queue().get({ timeout: -1 }), { name: 'RangeError', message: /"options.timeout"/ });
  await t.rejects(new Queue().put(1, { timeout: NaN }), { name: 'RangeError', message: /"options.timeout"/ });
  t.throws(() => new PriorityQueue(undefined, { compare: 1 as never }), TypeError);
});
