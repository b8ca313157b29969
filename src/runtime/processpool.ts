import { WorkerPool, type WorkerPoolOptions } from './workerpool.js';

/** Options of `ProcessPool`. */
export type ProcessPoolOptions = WorkerPoolOptions;

/**
 * A pool of `size` child processes (default: the number of CPUs), forked from the current Node
 * with the same `execArgv` and environment. Same API as `ThreadPool`; killing a task's greenlet
 * kills its process (SIGTERM, SIGKILL after 1 s) and a new one takes its place on demand.
 *
 * @example
 * ```ts runnable
 * import { ProcessPool } from 'nodevent';
 * // Usually a file of yours ('./tasks/render.mjs'); inline here so that the example runs as it is.
 * const tasks = new URL('data:text/javascript,export const render = ({ page }) => `page ${page} rendered in ${process.pid}`;');
 * const pool = new ProcessPool(2);
 * const g = pool.spawn(tasks, 'render', { page: 1 });
 * console.log(await g); // page 1 rendered in <a child's pid>
 * await pool.close();
 * ```
 */
export class ProcessPool extends WorkerPool {
  constructor(size?: number, options: ProcessPoolOptions = {}) {
    super('ProcessPool', 'child_process', size, options);
  }
}
