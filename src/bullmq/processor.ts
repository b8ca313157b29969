import { UnrecoverableError, type Job } from 'bullmq';
import { GreenletExit } from '../runtime/errors.js';
import { Greenlet } from '../runtime/greenlet.js';
import { currentScope, currentSignal, outsideScope } from '../runtime/scope.js';
import { Timeout } from '../runtime/timeout.js';
import { rawClearTimeout, rawSetTimeout } from '../internal/timers.js';
import { invalidArgType, secondsToMs, validateFunction } from '../internal/validate.js';
import { JobCancelled } from './errors.js';

/**
 * Options of `greenletProcessor`.
 *
 * @example
 * ```ts runnable
 * import { greenletProcessor, type GreenletProcessorOptions } from 'nodevent/bullmq';
 * const options: GreenletProcessorOptions = { timeout: 30, retryCancelled: false };
 * const processor = greenletProcessor(async (job) => job.data, options);
 * ```
 */
export interface GreenletProcessorOptions {
  /**
   * Seconds each job may run. At the deadline the job's greenlet is killed (its sockets, requests
   * and lookups are destroyed, under `patchAll()`) and the job fails with a `Timeout` whose message
   * names the job. Retried or not by BullMQ's rules (`attempts`, `backoff`).
   * @default undefined (no limit)
   */
  timeout?: number | null;
  /**
   * Whether a cancelled job may be retried by BullMQ's rules. With `false` it fails with BullMQ's
   * `UnrecoverableError` (its `cause` the `JobCancelled`), which BullMQ never retries.
   * @default true
   */
  retryCancelled?: boolean;
}

/**
 * A job's body: BullMQ's processor signature, run inside the job's greenlet. `signal` is the
 * greenlet's own: it aborts when the job is cancelled or times out (for APIs that are not patched).
 * As with BullMQ's own signal, it is made only for a function that declares three parameters.
 *
 * @example
 * ```ts runnable
 * import type { JobFunction } from 'nodevent/bullmq';
 * const dry: JobFunction<{ dish: string }, string> = async (job, _token, signal) => {
 *   const response = await fetch(`http://127.0.0.1:8080/dry/${job.data.dish}`, { signal });
 *   return response.statusText;
 * };
 * ```
 */
export type JobFunction<D = any, R = any, N extends string = string> =
  (job: Job<D, R, N>, token: string | undefined, signal: AbortSignal) => R | PromiseLike<R>;

/**
 * A BullMQ processor that runs each job in a greenlet; what `greenletProcessor` returns.
 *
 * @example
 * ```ts runnable
 * import { greenletProcessor, type GreenletProcessor } from 'nodevent/bullmq';
 * const processor: GreenletProcessor<{ n: number }, number> = greenletProcessor(async (job) => job.data.n * 2);
 * console.log(processor.greenlets.size); // jobs running now: 0
 * ```
 */
export interface GreenletProcessor<D = any, R = any, N extends string = string> {
  (job: Job<D, R, N>, token?: string, signal?: AbortSignal): Promise<R>;
  /** The greenlets of the jobs running now (each named `<queue>:<job id>`). */
  readonly greenlets: ReadonlySet<Greenlet>;
}

/** What a job knows of the worker that took it: enough to end its greenlets with the worker. */
interface WorkerLike {
  once(event: 'closed', listener: () => void): unknown;
  cancelAllJobs(reason?: string): void;
}

function workerOf(job: Job): WorkerLike | undefined {
  // BullMQ gives each job the worker that took it as its (protected) `queue`.
  const queue = (job as unknown as { queue?: unknown }).queue as Partial<WorkerLike> | null | undefined;
  if (queue === null || typeof queue !== 'object') return undefined;
  return typeof queue.once === 'function' && typeof queue.cancelAllJobs === 'function' ? (queue as WorkerLike) : undefined;
}

/** A job's greenlet: it knows its job, and is named after it only when someone asks. */
class JobGreenlet<D, R, N extends string> extends Greenlet<R, [Job<D, R, N>, string | undefined]> {
  readonly job: Job<D, R, N>;
  #name: string | undefined;

  constructor(body: (job: Job<D, R, N>, token: string | undefined) => R | PromiseLike<R>, job: Job<D, R, N>, token: string | undefined) {
    super(body, job, token);
    this.job = job;
  }

  override get name(): string {
    return this.#name ?? `${this.job.queueName}:${this.job.id}`;
  }

  override set name(value: string) {
    this.#name = String(value);
  }
}

/**
 * Turns `fn` into a BullMQ processor that runs each job in its own greenlet, so ending a job ends
 * all of its I/O, with no signal to thread through: after `patchAll()` the sockets, HTTP requests,
 * fetches and lookups the job starts belong to its greenlet, and the remote side sees them close.
 *
 * - `timeout` bounds each job: at the deadline its greenlet is killed and the job fails with a `Timeout`.
 * - `worker.cancelJob(id, reason)` and `worker.cancelAllJobs(reason)` kill the job's greenlet: the
 *   job fails with `JobCancelled` (never completes with a `GreenletExit`).
 * - A worker closed with `close(true)` while jobs run kills their greenlets once it is closed
 *   (BullMQ leaves those jobs active; its stalled-job check gives them back to the queue).
 *
 * Concurrency, locks, stalled jobs and retries stay BullMQ's. The greenlets belong to no scope
 * (the worker is shared machinery): killing the greenlet that created the worker does not end
 * its jobs.
 *
 * @example
 * ```ts
 * import { Worker } from 'bullmq';
 * import { patchAll } from 'nodevent';
 * import { greenletProcessor } from 'nodevent/bullmq';
 * patchAll();
 * const worker = new Worker('pages', greenletProcessor(async (job) => {
 *   const response = await fetch(job.data.url); // closed if the job times out or is cancelled
 *   return response.status;
 * }, { timeout: 10 }), { connection: { host: '127.0.0.1', port: 6379 }, concurrency: 50 });
 * ```
 */
export function greenletProcessor<D = any, R = any, N extends string = string>(
  fn: JobFunction<D, R, N>,
  options: GreenletProcessorOptions = {},
): GreenletProcessor<D, R, N> {
  validateFunction(fn, 'fn');
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  const seconds = options.timeout;
  const retryCancelled = options.retryCancelled ?? true;
  if (typeof retryCancelled !== 'boolean') throw invalidArgType('options.retryCancelled', 'of type boolean', retryCancelled);

  const ms = secondsToMs(seconds, 'options.timeout');
  const greenlets = new Set<JobGreenlet<D, R, N>>();
  const watched = new WeakSet<WorkerLike>();
  let lastWorker: WorkerLike | undefined;

  // The greenlet's signal is made only for a function that declares it: making one costs more
  // than the rest of the greenlet (BullMQ decides the same way for its own signal).
  const body = fn.length >= 3
    ? (job: Job<D, R, N>, token: string | undefined) => fn(job, token, currentSignal()!)
    : (job: Job<D, R, N>, token: string | undefined) => fn(job, token, undefined as unknown as AbortSignal);

  /** Ends the jobs `worker` left running when it was closed with `close(true)`. */
  const watch = (worker: WorkerLike): void => {
    lastWorker = worker;
    if (watched.has(worker)) return;
    watched.add(worker);
    worker.once('closed', () => {
      for (const g of greenlets) {
        if (workerOf(g.job) === worker) void g.kill({ exception: new JobCancelled(g.job.id, g.job.queueName, 'worker closed'), block: false });
      }
    });
  };

  /** The error the job fails with: a cancellation made final when it may not be retried. */
  const final = (error: unknown): unknown => {
    if (retryCancelled || !(error instanceof JobCancelled)) return error;
    const unrecoverable = new UnrecoverableError(error.message);
    unrecoverable.cause = error;
    return unrecoverable;
  };

  // A named function with three parameters: BullMQ only makes a signal for processors whose
  // length is at least 3.
  function processor(job: Job<D, R, N>, token?: string, signal?: AbortSignal): Promise<R> {
    // Called by BullMQ, normally outside every scope; in one (a worker made inside a greenlet),
    // the job still belongs to no greenlet.
    const g = currentScope() === undefined ? new JobGreenlet(body, job, token) : outsideScope(() => new JobGreenlet(body, job, token));
    const worker = workerOf(job);
    if (worker !== undefined && worker !== lastWorker) watch(worker);
    greenlets.add(g);
    if (signal !== undefined) {
      // Not removed when the job ends: the signal is the job's alone and dies with it, and a
      // late abort kills a dead greenlet, which does nothing.
      const cancel = (): void => {
        void g.kill({ exception: new JobCancelled(job.id, job.queueName, signal.reason), block: false });
      };
      if (signal.aborted) cancel();
      else signal.addEventListener('abort', cancel);
    }
    // The deadline kills the job's greenlet, which is the job: its scope aborts and its I/O is
    // destroyed, as withTimeout would. The Timeout (an Error: its stack costs) is made if it fires.
    const timer = ms === undefined ? undefined : rawSetTimeout(() => {
      const timeout = new Timeout(seconds);
      timeout.message = `job ${job.id ?? '(no id)'} of queue "${job.queueName}" timed out after ${seconds} s`;
      void g.kill({ exception: timeout, block: false });
    }, ms);
    // One promise per job, settled by a link (which also marks the failure as observed, so a kill
    // before the start is never reported as unhandled): get() would cost three more.
    const done = new Promise<R>((resolve, reject) => {
      g.link(() => {
        if (timer !== undefined) rawClearTimeout(timer);
        greenlets.delete(g);
        if (!g.successful()) reject(final(g.exception));
        // Killed with a plain GreenletExit (by user code): the job was stopped, it did not complete.
        else if (g.value instanceof GreenletExit) reject(final(new JobCancelled(job.id, job.queueName, g.value)));
        else resolve(g.value as R);
      });
    });
    g.start();
    return done;
  }
  Object.defineProperty(processor, 'greenlets', { value: greenlets, enumerable: true });
  return processor as GreenletProcessor<D, R, N>;
}
