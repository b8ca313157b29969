// gevent's test__queue.py, translated to nodevent. Not ported: LoopExit cases of test_peek_empty
// (Node has no "this would block forever" detection: a wait with nothing to wake it keeps the
// promise pending), test_subclass_assign_queue (gevent's `_init`/`queue` storage hook; nodevent's
// storage hooks are protected methods), run_callback from the hub (get_nowait "from the main loop"
// is simply a call outside any greenlet here), and weak references (every object can be weakly
// referenced in JavaScript).
import t from 'tap';
import { killWhileWaiting } from '../helpers/gevent-port.js';
import {
  AsyncResult, Channel, Empty, Full, LifoQueue, PriorityQueue, Queue, SimpleQueue, Timeout, sleep, spawn, type Greenlet,
} from '../../src/runtime/index.js';

t.test('test__queue.py::TestSimpleQueue::test_send_first', async (t) => {
  const q = new SimpleQueue<string>();
  await q.put('hi');
  t.equal(await q.peek(), 'hi');
  t.equal(await q.get(), 'hi');
});

t.test('test__queue.py::TestSimpleQueue::test_get_nowait_simple', async (t) => {
  const q = new SimpleQueue<number>(1);
  await q.put(4);
  const result: unknown[] = [];
  for (let i = 0; i < 2; i++) {
    try {
      result.push(q.getNowait());
    } catch (error) {
      result.push(error);
    }
  }
  t.equal(result[0], 4);
  t.type(result[1], Empty);
});

t.test('test__queue.py::TestSimpleQueue::test_get_nowait_unlock', async (t) => {
  const q = new SimpleQueue<number>(1);
  const p = spawn(async () => { await q.put(5); });
  t.ok(q.empty());
  await sleep(0);
  t.ok(q.full());
  t.equal(q.getNowait(), 5);
  t.ok(q.empty());
  await p.join();
  t.ok(p.dead);
});

t.test('test__queue.py::TestSimpleQueue::test_peek_empty (with a timeout)', async (t) => {
  const q = new SimpleQueue<number>();
  await t.rejects(q.peek({ timeout: 0.01 }), Empty);
});

t.test('test__queue.py::TestSimpleQueue::test_peek_multi_greenlet', async (t) => {
  const q = new SimpleQueue<number>();
  const g = spawn(() => q.peek());
  await sleep(0);
  await q.put(1);
  await g.join();
  t.equal(g.exception, null);
  t.equal(await q.peek(), 1);
});

t.test('test__queue.py::TestSimpleQueue::test_max_size', async (t) => {
  const q = new SimpleQueue<string>(2);
  const results: string[] = [];
  const p = spawn(async () => {
    for (const item of ['a', 'b', 'c']) {
      await q.put(item);
      results.push(item);
    }
    return 'OK';
  });
  await sleep(0);
  t.same(results, ['a', 'b']);
  t.equal(await q.get(), 'a');
  await sleep(0);
  t.same(results, ['a', 'b', 'c']);
  t.equal(await q.get(), 'b');
  t.equal(await q.get(), 'c');
  t.equal(await p.get({ timeout: 0 }).catch(() => p.get()), 'OK');
});

t.test('test__queue.py::TestSimpleQueue::test_multiple_waiters', async (t) => {
  const q = new SimpleQueue<string>();
  const sendings = ['1', '2', '3', '4'];
  const evts = sendings.map(() => new AsyncResult<string>());
  for (const evt of evts) spawn(async () => evt.set(await q.get()));
  await sleep(0.01);
  const collected = async (): Promise<number> => {
    const results = new Set<string>();
    for (const e of evts) {
      const value = await new Timeout(0.001, false).run(() => e.get());
      if (value !== undefined) results.add(value);
    }
    return results.size;
  };
  await q.put(sendings[0]!);
  t.equal(await collected(), 1);
  await q.put(sendings[1]!);
  t.equal(await collected(), 2);
  await q.put(sendings[2]!);
  await q.put(sendings[3]!);
  t.equal(await collected(), 4);
});

const doReceive = (q: SimpleQueue<string>, evt: AsyncResult<string>) => async (): Promise<void> => {
  const error = new RangeError('timed out');
  try {
    evt.set(await new Timeout(0, error).run(() => q.get()) as string);
  } catch (e) {
    if (e !== error) throw e;
    evt.set('timed out');
  }
};

t.test('test__queue.py::TestSimpleQueue::test_waiters_that_cancel', async (t) => {
  const q = new SimpleQueue<string>();
  const evt = new AsyncResult<string>();
  spawn(doReceive(q, evt));
  t.equal(await evt.get(), 'timed out');
  await q.put('hi');
  t.equal(await q.get(), 'hi');
});

t.test('test__queue.py::TestSimpleQueue::test_senders_that_die', async (t) => {
  const q = new SimpleQueue<string>();
  spawn(() => q.put('sent'));
  t.equal(await q.get(), 'sent');
});

t.test('test__queue.py::TestSimpleQueue::test_two_waiters_one_dies', async (t) => {
  const q = new SimpleQueue<string>();
  const dying = new AsyncResult<string>();
  const waiting = new AsyncResult<string>();
  spawn(doReceive(q, dying));
  spawn(async () => waiting.set(await q.get()));
  await sleep(0.01);
  await q.put('hi');
  t.equal(await dying.get(), 'timed out');
  t.equal(await waiting.get(), 'hi');
});

t.test('test__queue.py::TestSimpleQueue::test_two_bogus_waiters', async (t) => {
  const q = new SimpleQueue<string>();
  const e1 = new AsyncResult<string>();
  const e2 = new AsyncResult<string>();
  spawn(doReceive(q, e1));
  spawn(doReceive(q, e2));
  await sleep(0.01);
  await q.put('sent');
  t.equal(await e1.get(), 'timed out');
  t.equal(await e2.get(), 'timed out');
  t.equal(await q.get(), 'sent');
});

t.test('test__queue.py::UsesOnlyOneItemMixin::test_put_nowait_simple / test_init_and_bottleneck_methods', async (t) => {
  const q = new SimpleQueue<number>(1);
  q.putNowait(1);
  t.throws(() => q.putNowait(2), Full);
  t.equal(q.qsize(), 1);
  t.ok(q.full());
  t.notOk(q.empty());
});

t.test('test__queue.py::TestChannel::test_send (issue 13 item 5: put returns after the getter ran)', async (t) => {
  const channel = new Channel<string>();
  const events: string[] = [];
  const g = spawn(async () => {
    events.push(await channel.get());
    events.push(await channel.get());
  });
  events.push('sending');
  await channel.put('hello');
  events.push('sent hello');
  await channel.put('world');
  events.push('sent world');
  t.same(events, ['sending', 'hello', 'sent hello', 'world', 'sent world']);
  await g;
});

t.test('test__queue.py::TestChannel::test_wait', async (t) => {
  const channel = new Channel<string>();
  const events: string[] = [];
  spawn(async () => {
    events.push('sending hello');
    await channel.put('hello');
    events.push('sending world');
    await channel.put('world');
    events.push('sent world');
  });
  events.push('waiting');
  events.push(await channel.get());
  events.push(await channel.get());
  t.same(events, ['waiting', 'sending hello', 'hello', 'sending world', 'world']);
  await sleep(0);
  t.same(events, ['waiting', 'sending hello', 'hello', 'sending world', 'world', 'sent world']);
});

t.test('test__queue.py::TestChannel::test_zero_max_size', async (t) => {
  const q = new Channel<string>();
  const e1 = new AsyncResult<string>();
  const e2 = new AsyncResult<string>();
  const p1 = spawn(async () => { await q.put('hi'); e1.set('done'); });
  await sleep(0.001);
  t.notOk(e1.ready());
  const p2 = spawn(async () => e2.set(await q.get()));
  t.equal(await e2.get(), 'hi');
  t.equal(await e1.get(), 'done');
  await p1.join();
  await p2.join();
});

t.test('test__queue.py::TestChannel::test_get_nowait_unlock_channel', async (t) => {
  const q = new Channel<number>();
  const p = spawn(() => q.put(5));
  t.ok(q.empty());
  t.ok(q.full());
  await sleep(0.001);
  t.ok(q.empty());
  t.ok(q.full());
  t.equal(q.getNowait(), 5);
  await p.join();
  t.ok(p.dead);
  t.ok(q.empty());
});

t.test('test__queue.py::TestChannel::test_iterable', async (t) => {
  const channel = new Channel<number>();
  spawn(async () => {
    await channel.put(1);
    await channel.put(2);
    channel.shutdown();
  });
  const got: number[] = [];
  for await (const item of channel) got.push(item);
  t.same(got, [1, 2]);
});

t.test('test__queue.py::TestQueue::test_task_done', async (t) => {
  const q = new Queue<number>();
  const results: number[] = [];
  for (let i = 0; i < 2; i++) {
    spawn(async () => {
      for (;;) {
        const item = await q.get();
        results.push(item);
        await sleep(0);
        q.taskDone();
      }
    }).name = `worker-${i}`;
  }
  for (let i = 0; i < 20; i++) await q.put(i);
  await q.join();
  t.equal(results.length, 20);
  t.equal(q.unfinishedTasks, 0);
  t.throws(() => q.taskDone(), { name: 'RangeError' });
});

t.test('test__queue.py::TestQueue::test_issue_45 (a put that times out raises Full)', async (t) => {
  const q = new Queue<number>(1);
  await q.put(1);
  await t.rejects(q.put(2, { timeout: 0.01 }), Full);
});

t.test('test__queue.py::TestLifoQueue / TestPriorityQueue (order)', async (t) => {
  const lifo = new LifoQueue<number>();
  for (const n of [1, 2, 3]) lifo.putNowait(n);
  t.same([lifo.getNowait(), lifo.getNowait(), lifo.getNowait()], [3, 2, 1]);
  const prio = new PriorityQueue<number>();
  for (const n of [2, 3, 1]) prio.putNowait(n);
  t.same([prio.getNowait(), prio.getNowait(), prio.getNowait()], [1, 2, 3]);
});

for (const [name, make] of [
  ['SimpleQueue', () => new SimpleQueue<number>()], ['Queue', () => new Queue<number>()],
  ['LifoQueue', () => new LifoQueue<number>()], ['PriorityQueue', () => new PriorityQueue<number>()],
  ['Channel', () => new Channel<number>()],
] as const) {
  t.test(`test__queue.py::TestGetInterrupt${name === 'SimpleQueue' ? 'SimpleQueue' : name === 'Queue' ? 'JoinableQueue' : name}: get times out, is killed, and leaves no waiter`, async (t) => {
    const q = make();
    await t.rejects(q.get({ timeout: 0.01 }), Empty);
    const g = spawn(() => q.get());
    await sleep(0);
    await g.kill();
    t.equal(q.waiting.getters, 0);
  });
  if (name !== 'Channel') {
    t.test(`test__queue.py::TestPutInterrupt (${name}): put on a full queue times out, is killed, leaves no waiter`, async (t) => {
      const q = name === 'SimpleQueue' ? new SimpleQueue<number>(1) : name === 'Queue' ? new Queue<number>(1) : name === 'LifoQueue' ? new LifoQueue<number>(1) : new PriorityQueue<number>(1);
      q.putNowait(0);
      await t.rejects(q.put(1, { timeout: 0.01 }), Full);
      const g = spawn(() => q.put(2));
      await sleep(0);
      await g.kill();
      t.equal(q.waiting.putters, 0);
      t.equal(q.qsize(), 1);
    });
  }
}

t.test('test__queue.py: a kill reaches a greenlet waiting in Queue.join (issue 13 item 1)', async (t) => {
  const q = new Queue<number>();
  q.putNowait(1);
  t.same(await killWhileWaiting(() => q.join()), ['killed', 'finally']);
});

t.test('test__queue.py::TestSimpleQueue::test_peek_multi_greenlet, extended: a peeker that came before a getter sees the item handed to it; one that came after waits on', async (t) => {
  for (const peekerFirst of [true, false]) {
    const q = new Queue<string>();
    const seen: string[] = [];
    const peek = (): Greenlet => spawn(async () => { seen.push(`peeked ${await q.peek()}`); });
    const get = (): Greenlet => spawn(async () => { seen.push(`got ${await q.get()}`); });
    const [first, second] = peekerFirst ? [peek(), get()] : [get(), peek()];
    await sleep(0);
    q.putNowait('x');
    await sleep(0.01);
    if (peekerFirst) {
      t.same(seen, ['peeked x', 'got x']);
      t.ok(first.dead && second.dead);
    } else {
      t.same(seen, ['got x'], 'the later peeker did not see the item the earlier getter took');
      t.equal(second.dead, false);
      q.putNowait('y');
      await second.join();
      t.same(seen, ['got x', 'peeked y']);
    }
  }
});
