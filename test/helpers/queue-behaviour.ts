// Behaviour every joinable queue must show, run against each implementation (the in-memory Queue,
// the Redis-backed queue). Only asynchronous API: put/get/taskDone/join/qsize/empty/iteration/shutdown.
import type { Test } from 'tap';
import { Empty, ShutDown, sleep, spawn, GreenletExit, type JoinableQueueLike } from '../../src/runtime/index.js';

// makeQueue must give an empty queue with room for at least 3 items.
type Make = () => Promise<JoinableQueueLike<unknown>> | JoinableQueueLike<unknown>;
type Cleanup = (q: JoinableQueueLike<unknown>) => Promise<void> | void;

export function queueBehaviour(t: Test, name: string, makeQueue: Make, cleanup?: Cleanup): void {
  const withQueue = (title: string, body: (t: Test, q: JoinableQueueLike<unknown>) => Promise<void>): void => {
    t.test(`${name}: ${title}`, async (t) => {
      const q = await makeQueue();
      try {
        await body(t, q);
      } finally {
        await cleanup?.(q);
      }
    });
  };

  withQueue('items come out in FIFO order; qsize and empty follow', async (t, q) => {
    t.equal(await q.empty(), true);
    for (const n of [1, 2, 3]) await q.put(n);
    t.equal(await q.qsize(), 3);
    t.equal(await q.empty(), false);
    t.same([await q.get(), await q.get(), await q.get()], [1, 2, 3]);
    t.equal(await q.qsize(), 0);
  });

  withQueue('a getter waits for the next put', async (t, q) => {
    const getter = spawn(() => q.get());
    await sleep(0.02);
    t.equal(getter.ready(), false, 'still waiting');
    await q.put('late');
    t.equal(await getter, 'late');
  });

  withQueue('waiting getters are served first come, first served', async (t, q) => {
    const order: string[] = [];
    const getters = ['a', 'b', 'c'].map((who) => spawn(async () => {
      const item = await q.get();
      order.push(`${who}:${String(item)}`);
    }));
    for (const who of ['a', 'b', 'c']) { // start them one after the other
      void who;
      await sleep(0.01);
    }
    for (const n of [1, 2, 3]) await q.put(n);
    for (const g of getters) await g;
    t.same(order, ['a:1', 'b:2', 'c:3']);
  });

  withQueue('a getter killed while waiting takes nothing: the item goes to the next getter', async (t, q) => {
    const first = spawn(() => q.get());
    await sleep(0.01);
    const second = spawn(() => q.get());
    await sleep(0.01);
    await first.kill();
    t.ok(first.value instanceof GreenletExit);
    await q.put('only');
    t.equal(await second.get({ timeout: 2 }), 'only');
    t.equal(await q.qsize(), 0);
  });

  withQueue('get with a timeout rejects with Empty; with block false at once', async (t, q) => {
    await t.rejects(q.get({ timeout: 0.03 }), Empty);
    await t.rejects(q.get({ block: false }), Empty);
    await q.put('x');
    t.equal(await q.get({ timeout: 0.5 }), 'x');
  });

  withQueue('join resolves once every item is marked done; false at its timeout', async (t, q) => {
    t.equal(await q.join({ timeout: 0.5 }), true, 'nothing put: done at once');
    await q.put('a');
    await q.put('b');
    t.equal(await q.join({ timeout: 0.03 }), false, 'two unfinished');
    const done: unknown[] = [];
    spawn(async () => {
      for (let i = 0; i < 2; i++) {
        const item = await q.get();
        await sleep(0.005);
        done.push(item);
        await q.taskDone();
      }
    });
    t.equal(await q.join(), true);
    t.same(done, ['a', 'b'], 'join returned after both were handled');
  });

  withQueue('shutdown: put rejects with ShutDown; iteration drains what is left, then ends', async (t, q) => {
    await q.put(1);
    await q.put(2);
    await q.shutdown();
    await t.rejects(q.put(3), ShutDown);
    const seen: unknown[] = [];
    for await (const item of q) seen.push(item);
    t.same(seen, [1, 2]);
    await t.rejects(q.get({ timeout: 0.5 }), ShutDown);
  });

  withQueue('shutdown wakes a waiting getter with ShutDown and ends a waiting iteration', async (t, q) => {
    const seen: unknown[] = [];
    const consumer = spawn(async () => {
      for await (const item of q) seen.push(item);
      return 'ended';
    });
    const getter = spawn(() => q.get());
    await sleep(0.01);
    await q.put('x');
    await sleep(0.02);
    await q.shutdown();
    t.equal(await consumer.get({ timeout: 2 }), 'ended');
    await t.rejects(getter.get({ timeout: 2 }), ShutDown);
    t.same(seen, ['x'], 'the consumer got the item: it waited first');
  });

  withQueue('shutdown({ immediate: true }) drops the items and lets join return', async (t, q) => {
    await q.put('a');
    await q.put('b');
    const joiner = spawn(() => q.join());
    await sleep(0.01);
    await q.shutdown({ immediate: true });
    t.equal(await joiner.get({ timeout: 2 }), true);
    await t.rejects(q.get(), ShutDown);
  });
}
