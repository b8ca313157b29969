// The queue errors live apart from queue.ts so other queue implementations (a Redis-backed queue,
// a channel) can raise the same classes without loading the in-memory queues.

/**
 * Raised by `put` when the queue stays full (`block: false`, or `timeout` seconds passed), as
 * gevent's `queue.Full`.
 *
 * @example
 * ```ts runnable
 * import { Queue, Full } from 'nodevent';
 * const q = new Queue<number>(1);
 * q.putNowait(1);
 * try { q.putNowait(2); } catch (err) { console.log(err instanceof Full); } // true
 * ```
 */
export class Full extends Error {
  constructor(message = 'queue is full') {
    super(message);
    this.name = 'Full';
  }
}

/**
 * Raised by `get` when the queue stays empty (`block: false`, or `timeout` seconds passed), as
 * gevent's `queue.Empty`.
 *
 * @example
 * ```ts runnable
 * import { Queue, Empty } from 'nodevent';
 * try { new Queue().getNowait(); } catch (err) { console.log(err instanceof Empty); } // true
 * ```
 */
export class Empty extends Error {
  constructor(message = 'queue is empty') {
    super(message);
    this.name = 'Empty';
  }
}

/**
 * Raised by `put` after `shutdown()`, and by `get` once a shut-down queue is empty (at once after
 * `shutdown({ immediate: true })`), as Python 3.13's `queue.ShutDown`.
 *
 * @example
 * ```ts runnable
 * import { Queue, ShutDown } from 'nodevent';
 * const q = new Queue();
 * q.shutdown();
 * await q.put(1).catch((err) => console.log(err instanceof ShutDown)); // true
 * ```
 */
export class ShutDown extends Error {
  constructor(message = 'queue is shut down') {
    super(message);
    this.name = 'ShutDown';
  }
}

/**
 * Yields what `get()` resolves until it rejects with `ShutDown`: the async iteration of every
 * queue, in memory or on Redis.
 */
export async function* untilShutDown<T>(get: () => Promise<T>): AsyncGenerator<T, void, undefined> {
  for (;;) {
    let item: T;
    try {
      item = await get();
    } catch (error) {
      if (error instanceof ShutDown) return;
      throw error;
    }
    yield item;
  }
}
