import { Timeout } from './timeout.js';
import { secondsToMs, validateFlag, validateFunction, validateOptions } from '../internal/validate.js';
import { Waiter, callLink } from './waiter.js';

/** Options of `AsyncResult.get`. */
export interface ResultGetOptions {
  /** Wait while no result is set; false rejects with a `Timeout` at once. @default true */
  block?: boolean;
  /** The most seconds to wait before rejecting with a `Timeout`; null waits without limit. */
  timeout?: number | null;
}

/** Something that ended with a value or an exception: a Greenlet, or another AsyncResult. */
export interface ResultSource {
  successful(): boolean;
  readonly value?: unknown;
  readonly exception?: unknown;
}

const PENDING = 0;
const VALUE = 1;
const FAILED = 2;

/**
 * A value that arrives later, as gevent's `AsyncResult`: one side calls `set(value)` or
 * `setException(error)` (the first call wins, later ones are ignored), the other awaits `get()`.
 * It is linkable (`wait`/`iwait` accept it), awaitable (`await result` is `result.get()`), and its
 * bound `callback` can be given to `greenlet.link` to receive the greenlet's outcome.
 *
 * @example
 * ```ts runnable
 * import { AsyncResult, spawn } from 'nodevent';
 * const result = new AsyncResult<number>();
 * spawn(() => 6 * 7).link(result.callback);
 * console.log(await result); // 42
 * ```
 */
export class AsyncResult<T = unknown> implements PromiseLike<T> {
  #state = PENDING;
  #value: T | undefined = undefined;
  #exception: unknown = undefined;
  #waiters = new Set<Waiter<void>>();
  #links: Array<(result: this) => void> = [];
  // The links being called, so that `unlink` from one of them stops a later one.
  #notifying: Array<((obj: this) => void) | null> | null = null;

  /** The value once set successfully, else null (gevent's None; as `Greenlet.value`). */
  get value(): T | null {
    return this.#state === VALUE ? (this.#value as T) : null;
  }

  /** The error once `setException` was called, else null. */
  get exception(): unknown {
    return this.#state === FAILED ? this.#exception : null;
  }

  /** True once a value or an exception is set. */
  ready(): boolean {
    return this.#state !== PENDING;
  }

  /** True once a value (not an exception) is set. */
  successful(): boolean {
    return this.#state === VALUE;
  }

  /** Number of greenlets waiting. */
  get waiterCount(): number {
    return this.#waiters.size;
  }

  /** Stores `value` and wakes every waiter and link. Ignored once a result is set. */
  set(value?: T): void {
    if (this.#state !== PENDING) return;
    this.#state = VALUE;
    this.#value = value;
    this.#notify();
  }

  /** Stores `error`: `get()` rejects with it. Ignored once a result is set. */
  setException(error: unknown): void {
    if (this.#state !== PENDING) return;
    this.#state = FAILED;
    this.#exception = error;
    this.#notify();
  }

  /**
   * A link target (bound, so pass it as it is): `greenlet.link(result.callback)` sets the result to
   * the greenlet's value, or its exception when it failed, as calling gevent's AsyncResult does.
   */
  readonly callback = (source: ResultSource): void => {
    if (source.successful()) this.set(source.value as T);
    else this.setException(source.exception);
  };

  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter.wake();
    const links: Array<((obj: this) => void) | null> = this.#links;
    this.#links = [];
    this.#notifying = links;
    try {
      for (const fn of links) if (fn !== null) callLink(this, fn);
    } finally {
      this.#notifying = null;
    }
  }

  /** Resolves once a result is set, or after `timeout` seconds; true iff ready. Never rejects with the stored exception. */
  async wait(options: { timeout?: number | null } = {}): Promise<boolean> {
    validateOptions(options);
    const ms = secondsToMs(options.timeout, 'options.timeout');
    if (this.#state === PENDING && ms !== 0) {
      await new Waiter<void>(this.#waiters, undefined, ms, (w) => w.wake()).promise;
    }
    return this.#state !== PENDING;
  }

  /** The value, or throws the stored exception, or throws a `Timeout` when no result is set yet. */
  getNowait(): T {
    if (this.#state === FAILED) throw this.#exception;
    if (this.#state === VALUE) return this.#value as T;
    throw new Timeout(0);
  }

  /**
   * Resolves with the value or rejects with the exception once set; rejects with a `Timeout` when
   * nothing is set after `timeout` seconds (at once with `block: false`).
   */
  async get(options: ResultGetOptions = {}): Promise<T> {
    validateOptions(options);
    validateFlag(options.block, 'options.block');
    const ms = options.block === false ? 0 : secondsToMs(options.timeout, 'options.timeout');
    if (this.#state === PENDING && ms !== 0) {
      const timeout = options.timeout ?? null;
      await new Waiter<void>(this.#waiters, undefined, ms, (w) => w.fail(new Timeout(timeout))).promise;
    }
    return this.getNowait();
  }

  /** Makes the result awaitable: `await result` is `result.get()`. */
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.get().then(onFulfilled, onRejected);
  }

  /** Calls `callback(result)` once a result is set (on a later tick if it is set already). */
  link(callback: (result: this) => void): void {
    validateFunction(callback, 'callback');
    if (this.#state !== PENDING) queueMicrotask(() => callLink(this, callback));
    else this.#links.push(callback);
  }

  /** Removes every link made with `callback`, also while the links are being called. */
  unlink(callback: (result: this) => void): void {
    this.#links = this.#links.filter((fn) => fn !== callback);
    const notifying = this.#notifying;
    if (notifying !== null) for (let i = 0; i < notifying.length; i++) if (notifying[i] === callback) notifying[i] = null;
  }

  toString(): string {
    const state = this.#state === PENDING ? 'pending' : this.#state === VALUE ? 'value' : 'exception';
    return `<AsyncResult ${state}>`;
  }
}
