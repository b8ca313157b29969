import { WorkerPool, type WorkerPoolOptions } from './workerpool.js';

/** Options of `ThreadPool`. */
export type ThreadPoolOptions = WorkerPoolOptions;

/**
 * A pool of `size` worker threads (default: the number of CPUs). `spawn(module, exportName,
 * ...args)` runs an exported function of an ES module on a thread and returns its `Greenlet`:
 * await it, join, link, kill. Killing the greenlet terminates the thread, even in a busy loop.
 *
 * @example
 * ```ts runnable
 * import { ThreadPool } from 'nodevent';
 * // Usually a file of yours, new URL('./work.mjs', import.meta.url); inline here so that the example runs as it is.
 * const work = new URL(`data:text/javascript,import { createHash } from 'node:crypto';
 * export const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');`);
 * const pool = new ThreadPool(4);
 * const data = new TextEncoder().encode('hello');
 * const hash = await pool.spawn(work, 'sha256', data);
 * console.log(hash); // 2cf24dba…
 * await pool.close();
 * ```
 */
export class ThreadPool extends WorkerPool {
  constructor(size?: number, options: ThreadPoolOptions = {}) {
    super('ThreadPool', 'worker_threads', size, options);
  }
}
