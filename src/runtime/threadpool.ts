import { WorkerPool, type WorkerPoolOptions } from './workerpool.js';

/** Options of `ThreadPool`. */
export type ThreadPoolOptions = WorkerPoolOptions;

/**
 * A pool of `size` worker threads (default: the number of CPUs). `spawn(module, exportName,
 * ...args)` runs an exported function of an ES module on a thread and returns its `Greenlet`:
 * await it, join, link, kill. Killing the greenlet terminates the thread, even in a busy loop.
 *
 * @example
 * ```ts
 * import { ThreadPool } from 'nodevent';
 * const pool = new ThreadPool(4);
 * const data = new TextEncoder().encode('hello');
 * const hash = await pool.spawn(new URL('./work.mjs', import.meta.url), 'sha256', data);
 * await pool.close();
 * ```
 */
export class ThreadPool extends WorkerPool {
  constructor(size?: number, options: ThreadPoolOptions = {}) {
    super('ThreadPool', 'worker_threads', size, options);
  }
}
