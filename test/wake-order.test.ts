// gevent-semantics.md: a woken waiter runs before any greenlet spawned after the wake-up — in
// gevent both wait in the hub's one FIFO line of callbacks. gevent 22.10 prints "waiter, spawned"
// for each of these.
import t from 'tap';
import { AsyncResult, BoundedSemaphore, Event, LifoQueue, Lock, PriorityQueue, Queue, Semaphore, joinAll, sleep, spawn } from '../src/runtime/index.js';

type Case = () => [wait: () => Promise<unknown>, wake: () => void];

const cases: Record<string, Case> = {
  'Event.set': () => { const e = new Event(); return [() => e.wait(), () => e.set()]; },
  'AsyncResult.set': () => { const r = new AsyncResult(); return [() => r.get(), () => r.set(1)]; },
  'AsyncResult.set, wait': () => { const r = new AsyncResult(); return [() => r.wait(), () => r.set(1)]; },
  'Queue.putNowait': () => { const q = new Queue(); return [() => q.get(), () => q.putNowait(1)]; },
  'LifoQueue.putNowait': () => { const q = new LifoQueue(); return [() => q.get(), () => q.putNowait(1)]; },
  'PriorityQueue.putNowait': () => { const q = new PriorityQueue<number>(); return [() => q.get(), () => q.putNowait(1)]; },
  'Queue.getNowait frees a putter': () => { const q = new Queue(1); q.putNowait(0); return [() => q.put(1), () => q.getNowait()]; },
  'Semaphore.release': () => { const s = new Semaphore(0); return [() => s.acquire(), () => s.release()]; },
  'BoundedSemaphore.release': () => { const s = new BoundedSemaphore(1); void s.acquire(); return [() => s.acquire(), () => s.release()]; },
  'Lock.release': () => { const l = new Lock(); void l.acquire(); return [() => l.acquire(), () => l.release()]; },
};

for (const [name, make] of Object.entries(cases)) {
  t.test(`${name}: the woken waiter runs before a greenlet spawned after the wake-up`, async (t) => {
    const [wait, wake] = make();
    const order: string[] = [];
    const waiter = spawn(async () => { await wait(); order.push('waiter'); });
    await sleep(0);
    wake();
    const spawned = spawn(() => { order.push('spawned'); });
    await joinAll([waiter, spawned]);
    t.same(order, ['waiter', 'spawned']);
  });
}

t.test('a release inside a greenlet: the releaser goes on, then the waiter, then the greenlet it spawned', async (t) => {
  const sem = new Semaphore(0);
  const order: string[] = [];
  const waiter = spawn(async () => { await sem.acquire(); order.push('waiter'); });
  await sleep(0);
  let spawned: ReturnType<typeof spawn> | undefined;
  const releaser = spawn(() => {
    sem.release();
    spawned = spawn(() => { order.push('spawned'); });
    order.push('releaser-continues');
  });
  await joinAll([waiter, releaser]);
  await spawned!.join();
  t.same(order, ['releaser-continues', 'waiter', 'spawned']);
});
