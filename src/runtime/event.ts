import { secondsToMs, validateFunction, validateOptions } from '../internal/validate.js';
import { Waiter, callLink } from './waiter.js';

/** Options of `Event.wait`. */
export interface EventWaitOptions {
  /** The most seconds to wait; null waits without limit. */
  timeout?: number | null;
}

/**
 * A flag greenlets can wait for, as gevent's `Event`. `set()` wakes every waiter (oldest first);
 * `wait()` resolves true once the flag is set, or false at its timeout. A waiting greenlet that is
 * killed leaves no waiter and no timer behind. An Event is linkable, so `wait([...])` and
 * `iwait([...])` accept it.
 *
 * @example
 * ```ts runnable
 * import { Event, spawn } from 'nodevent';
 * const ready = new Event();
 * spawn(async () => { await ready.wait(); console.log('go'); });
 * ready.set();
 * ```
 */
export class Event {
  #flag = false;
  #waiters = new Set<Waiter<boolean>>();
  #links: Array<(event: this) => void> = [];
  // The links being called, so that `unlink` from one of them stops a later one.
  #notifying: Array<((obj: this) => void) | null> | null = null;

  /** True while the flag is set. */
  isSet(): boolean {
    return this.#flag;
  }

  /** Same as `isSet()`: lets `wait`/`iwait` treat the Event as ready. */
  ready(): boolean {
    return this.#flag;
  }

  /** Number of greenlets waiting. */
  get waiterCount(): number {
    return this.#waiters.size;
  }

  /** Sets the flag and wakes every waiter and link. Waiting afterwards returns at once. */
  set(): void {
    if (this.#flag) return;
    this.#flag = true;
    for (const waiter of [...this.#waiters]) waiter.wake(true);
    const links: Array<((obj: this) => void) | null> = this.#links;
    this.#links = [];
    this.#notifying = links;
    try {
      for (const fn of links) if (fn !== null) callLink(this, fn);
    } finally {
      this.#notifying = null;
    }
  }

  /** Resets the flag: later waits block until the next `set()`. */
  clear(): void {
    this.#flag = false;
  }

  /**
   * Resolves true when the flag is (or becomes) set, false once `timeout` seconds pass. Rejects
   * only when the waiting greenlet is killed (with the kill's reason).
   */
  wait(options: EventWaitOptions = {}): Promise<boolean> {
    let ms: number | undefined;
    try {
      validateOptions(options);
      ms = secondsToMs(options.timeout, 'options.timeout');
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#flag) return Promise.resolve(true);
    if (ms === 0) return Promise.resolve(false);
    // The waiter's own promise, not one wrapped by an async function: a greenlet woken by `set()`
    // then runs before one that calls `wait()` after the `set()`.
    return new Waiter<boolean>(this.#waiters, undefined, ms, (w) => w.wake(this.#flag)).promise;
  }

  /** Calls `callback(event)` once the flag is set (on a later tick if it is set already). */
  link(callback: (event: this) => void): void {
    validateFunction(callback, 'callback');
    if (this.#flag) queueMicrotask(() => callLink(this, callback));
    else this.#links.push(callback);
  }

  /** Removes every link made with `callback`, also while the links are being called. */
  unlink(callback: (event: this) => void): void {
    this.#links = this.#links.filter((fn) => fn !== callback);
    const notifying = this.#notifying;
    if (notifying !== null) for (let i = 0; i < notifying.length; i++) if (notifying[i] === callback) notifying[i] = null;
  }
}
