import { Event } from './event.js';
import type { GetOptions, PutOptions, ShutdownOptions } from './simplequeue.js';
import { SimpleQueue } from './simplequeue.js';
import { secondsToMs } from '../internal/validate.js';

export { SimpleQueue } from './simplequeue.js';
export type { GetOptions, PutOptions, ShutdownOptions } from './simplequeue.js';
export { Full, Empty, ShutDown } from './queue-errors.js';

/** Options of `join`. */
export interface JoinOptions {
  /** The most seconds to wait; null waits without limit. */
  timeout?: number | null;
}

/**
 * What every joinable queue offers (the in-memory `Queue`, and queues backed by a server, whose
 * methods may therefore answer asynchronously). Behaviour: items come out in the queue's order;
 * waiting getters and putters are served first come, first served; a getter killed while waiting
 * never takes an item; `join` resolves true once every item put was marked done with `taskDone`
 * (false at its timeout); after `shutdown` `put` rejects with `ShutDown`, `get` drains what is left
 * (nothing with `immediate`) and then rejects with `ShutDown`; async iteration yields items until
 * the queue is shut down and empty.
 *
 * @example
 * ```ts runnable
 * import type { JoinableQueueLike } from 'nodevent';
 * async function drain(q: JoinableQueueLike<string>) {
 *   for await (const item of q) { console.log(item); await q.taskDone(); }
 * }
 * ```
 */
export interface JoinableQueueLike<T> extends AsyncIterable<T> {
  put(item: T, options?: PutOptions): Promise<void>;
  get(options?: GetOptions): Promise<T>;
  taskDone(): void | Promise<void>;
  join(options?: JoinOptions): Promise<boolean>;
  qsize(): number | Promise<number>;
  empty(): boolean | Promise<boolean>;
  shutdown(options?: ShutdownOptions): void | Promise<void>;
  [Symbol.asyncIterator](): AsyncIterator<T>;
}

/**
 * A joinable FIFO queue, as gevent's `Queue` (`JoinableQueue`): every item put counts as an
 * unfinished task until a consumer calls `taskDone()`; `join()` resolves once none is left.
 *
 * @example
 * ```ts runnable
 * import { Queue, spawn } from 'nodevent';
 * const handle = async (job: string) => console.log('handled', job);
 * const q = new Queue<string>();
 * spawn(async () => { for await (const job of q) { await handle(job); q.taskDone(); } });
 * for (const job of ['a', 'b', 'c']) await q.put(job);
 * await q.join(); // every job handled
 * ```
 */
export class Queue<T> extends SimpleQueue<T> implements JoinableQueueLike<T> {
  #unfinished = 0;
  #allDone = (() => {
    const event = new Event();
    event.set();
    return event;
  })();

  /** Items put and not yet marked done with `taskDone()`. */
  get unfinishedTasks(): number {
    return this.#unfinished;
  }

  protected override _accepted(): void {
    this.#unfinished++;
    this.#allDone.clear();
  }

  protected override _dropped(): void {
    if (this.#unfinished > 0) this.taskDone();
  }

  /**
   * Marks one item taken with `get` as handled. Throws a RangeError (code
   * `ERR_QUEUE_TASK_DONE`) when called more times than items were put.
   */
  taskDone(): void {
    if (this.#unfinished <= 0) {
      const err = new RangeError('taskDone() called too many times');
      (err as NodeJS.ErrnoException).code = 'ERR_QUEUE_TASK_DONE';
      throw err;
    }
    if (--this.#unfinished === 0) this.#allDone.set();
  }

  /** Resolves true once every item put was marked done, false after `timeout` seconds. */
  async join(options: JoinOptions = {}): Promise<boolean> {
    const ms = secondsToMs(options?.timeout, 'options.timeout');
    if (this.#unfinished === 0) return true;
    return this.#allDone.wait({ timeout: ms === undefined ? null : ms / 1000 });
  }
}
