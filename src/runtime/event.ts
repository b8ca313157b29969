import { secondsToMs, validateFunction } from './validate.js';
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
 * ```ts
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
    const links = this.#links;
    this.#links = [];
    for (const fn of links) callLink(this, fn);
  }

  /** Resets the flag: later waits block until the next `set()`. */
  clear(): void {
    this.#flag = false;
  }

  /**
   * Resolves true when the flag is (or becomes) set, false once `timeout` seconds pass. Rejects
   * only when the waiting greenlet is killed (with the kill's reason).
   */
  async wait(options: EventWaitOptions = {}): Promise<boolean> {
    const ms = secondsToMs(options.timeout, 'options.timeout');
    if (this.#flag) return true;
    if (ms === 0) return false;
    return new Waiter<boolean>(this.#waiters, undefined, ms, (w) => w.wake(this.#flag)).promise;
  }

  /** Calls `callback(event)` once the flag is set (on a later tick if it is set already). */
  link(callback: (event: this) => void): void {
    validateFunction(callback, 'callback');
    if (this.#flag) queueMicrotask(() => callLink(this, callback));
    else this.#links.push(callback);
  }

  /** Removes every link made with `callback`. */
  unlink(callback: (event: this) => void): void {
    this.#links = this.#links.filter((fn) => fn !== callback);
  }
}
