import { getCurrent } from './greenlet.js';
import { invalidArgType, outOfRange, secondsToMs, validateFlag, validateFunction, validateOptions } from '../internal/validate.js';
import { Waiter, first } from './waiter.js';

/** Options of `acquire`. */
export interface AcquireOptions {
  /** Wait while the lock is taken; false resolves false at once. @default true */
  blocking?: boolean;
  /** The most seconds to wait before resolving false; null waits without limit. */
  timeout?: number | null;
}

function overRelease(message: string, code: string): RangeError {
  const err = new RangeError(message);
  (err as NodeJS.ErrnoException).code = code;
  return err;
}

/** Acquires `lock`, runs `fn`, and releases however `fn` ends: the `run` of every lock here. */
async function runLocked<R>(lock: { acquire(): Promise<boolean>; release(): void }, fn: () => R | PromiseLike<R>): Promise<Awaited<R>> {
  validateFunction(fn, 'fn');
  await lock.acquire();
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

/**
 * A counter of permits, as gevent's `Semaphore`: `acquire()` takes one, waiting while none is
 * left (oldest waiter first); `release()` gives one back. It has no owner: any greenlet may release.
 * A waiting greenlet that is killed leaves the queue, and a permit it was handed at that moment
 * goes to the next waiter. `run(fn)` acquires, runs `fn` and always releases. `value` may be 0
 * (a semaphore that starts taken).
 *
 * @example
 * ```ts
 * import { Semaphore } from 'nodevent';
 * const sem = new Semaphore(2); // at most two downloads at once
 * const urls = ['http://127.0.0.1:8080/a', 'http://127.0.0.1:8080/b', 'http://127.0.0.1:8080/c'];
 * await Promise.all(urls.map((url) => sem.run(() => fetch(url))));
 * ```
 */
export class Semaphore {
  #counter: number;
  #waiters = new Set<Waiter<boolean>>();

  constructor(value = 1) {
    if (typeof value !== 'number') throw invalidArgType('value', 'of type number', value);
    if (!Number.isInteger(value) || value < 0) throw outOfRange('value', 'a non-negative integer', value);
    this.#counter = value;
  }

  /** Permits left. */
  get counter(): number {
    return this.#counter;
  }

  /** Number of greenlets waiting in `acquire`. */
  get waiterCount(): number {
    return this.#waiters.size;
  }

  /** True when `acquire` would wait. */
  locked(): boolean {
    return this.#counter <= 0 || this.#waiters.size > 0;
  }

  /**
   * Takes a permit: resolves true, or false when none came (`blocking: false`, or `timeout`
   * seconds passed). Rejects only when the waiting greenlet is killed.
   */
  async acquire(options: AcquireOptions = {}): Promise<boolean> {
    validateOptions(options);
    validateFlag(options.blocking, 'options.blocking');
    const ms = options.blocking === false ? 0 : secondsToMs(options.timeout, 'options.timeout');
    if (!this.locked()) {
      this.#counter--;
      return true;
    }
    if (ms === 0) return false;
    const waiter = new Waiter<boolean>(this.#waiters, undefined, ms, (w) => w.wake(false));
    const ok = await waiter.promise;
    // Killed right after the permit was handed over: pass it on instead of keeping it.
    if (ok && waiter.scope?.aborted) {
      this._release();
      throw waiter.scope.reason;
    }
    return ok;
  }

  /** Gives a permit back: to the oldest waiter if any, else to the counter. */
  release(): void {
    this._release();
  }

  protected _release(): void {
    const waiter = first(this.#waiters);
    if (waiter !== undefined) waiter.wake(true);
    else this.#counter++;
  }

  /**
   * Acquires, runs `fn`, and releases however `fn` ends. Resolves or rejects as `fn` does.
   *
   * @example
   * ```ts runnable
   * import { appendFile } from 'node:fs/promises';
   * import { Lock } from 'nodevent';
   * const lock = new Lock();
   * await lock.run(async () => { await appendFile('app.log', 'one whole line\n'); });
   * ```
   */
  run<R>(fn: () => R | PromiseLike<R>): Promise<Awaited<R>> {
    return runLocked(this, fn);
  }
}

/**
 * A Semaphore that refuses to go above its initial value: releasing more than was acquired throws
 * a RangeError (code `ERR_SEMAPHORE_OVER_RELEASE`; gevent raises ValueError).
 *
 * @example
 * ```ts runnable
 * import { BoundedSemaphore } from 'nodevent';
 * const sem = new BoundedSemaphore(1);
 * try { sem.release(); } catch (err) { console.log(err instanceof RangeError); } // true: released too many times
 * ```
 */
export class BoundedSemaphore extends Semaphore {
  readonly initialValue: number;

  constructor(value = 1) {
    super(value);
    this.initialValue = value;
  }

  override release(): void {
    if (this.waiterCount === 0 && this.counter >= this.initialValue) {
      throw overRelease('Semaphore released too many times', 'ERR_SEMAPHORE_OVER_RELEASE');
    }
    this._release();
  }
}

/**
 * A mutual-exclusion lock (a BoundedSemaphore of 1), as gevent's `Lock`: not owned, so any
 * greenlet may release it; releasing it unlocked throws a RangeError.
 *
 * @example
 * ```ts runnable
 * import { Lock } from 'nodevent';
 * import { writeFile } from 'node:fs/promises';
 * const lock = new Lock();
 * await lock.run(() => writeFile('config.json', '{}'));
 * ```
 */
export class Lock extends BoundedSemaphore {
  constructor() {
    super(1);
  }
}

// Code that runs outside every greenlet shares one owner.
const MAIN = { toString: () => '<main>' };

/**
 * A reentrant lock owned by the greenlet that holds it, as gevent's `RLock`: the owner may acquire
 * it again (each acquire needs a release); another greenlet waits. Releasing a lock one does not
 * own throws an Error with code `ERR_RLOCK_NOT_OWNER` (RuntimeError in gevent). Code outside every
 * greenlet counts as one owner.
 *
 * @example
 * ```ts runnable
 * import { RLock } from 'nodevent';
 * const lock = new RLock();
 * await lock.run(async () => { await lock.run(() => 'nested is fine'); });
 * ```
 */
export class RLock {
  #block = new Semaphore(1);
  #owner: object | null = null;
  #count = 0;

  /** The greenlet holding the lock (or a placeholder for code outside greenlets), or null. */
  get owner(): object | null {
    return this.#owner;
  }

  /** True while some greenlet holds the lock. */
  locked(): boolean {
    return this.#owner !== null;
  }

  /** Number of greenlets waiting in `acquire`. */
  get waiterCount(): number {
    return this.#block.waiterCount;
  }

  /** Takes the lock (again, for its owner). Resolves true, or false as `Semaphore.acquire` does. */
  async acquire(options: AcquireOptions = {}): Promise<boolean> {
    const me = getCurrent() ?? MAIN;
    if (this.#owner === me) {
      this.#count++;
      return true;
    }
    const ok = await this.#block.acquire(options);
    if (ok) {
      this.#owner = me;
      this.#count = 1;
    }
    return ok;
  }

  /** Undoes one `acquire` of the owner; the last one frees the lock. */
  release(): void {
    if (this.#owner === null || this.#owner !== (getCurrent() ?? MAIN)) {
      const err = new Error('cannot release un-acquired lock');
      (err as NodeJS.ErrnoException).code = 'ERR_RLOCK_NOT_OWNER';
      throw err;
    }
    if (--this.#count === 0) {
      this.#owner = null;
      this.#block.release();
    }
  }

  /** Acquires, runs `fn`, and releases however `fn` ends. */
  run<R>(fn: () => R | PromiseLike<R>): Promise<Awaited<R>> {
    return runLocked(this, fn);
  }
}
