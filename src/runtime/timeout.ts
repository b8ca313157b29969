import { abortable } from './abortable.js';
import { Scope, adoptIn, scopeStorage } from './scope.js';
import { rawClearTimeout, rawSetTimeout } from '../internal/timers.js';
import { toException, validateException } from '../internal/exception.js';
import { secondsToMs, validateFunction, validateOptions } from '../internal/validate.js';

/** Options of `withTimeout`. */
export interface WithTimeoutOptions<V> {
  /** Returned instead of rejecting when this deadline passes. */
  timeoutValue?: V;
}

/**
 * A deadline, and the error raised when it passes, as gevent's `Timeout`. `run(fn)` runs `fn` in a
 * nested scope that aborts at the deadline, so I/O that `fn` owns is cancelled rather than
 * abandoned. With `exception` `false` the expiry is swallowed (`run` resolves `undefined`); with an
 * exception (instance or class) that is raised instead of the Timeout itself; with a string the
 * Timeout itself is raised, the string ending its message (`'2 seconds: XXX'`), as in gevent. `seconds` null or
 * undefined never fires; 0 fires on the next turn of the loop. Like gevent's, a Timeout cannot
 * interrupt code that never yields.
 *
 * @example
 * ```ts
 * import { Timeout } from 'nodevent';
 * const t = new Timeout(2);
 * try {
 *   await t.run(() => fetch('http://127.0.0.1:8080/slow'));
 * } catch (err) {
 *   if (err !== t) throw err; // a different (outer) timeout, or another error
 *   console.log('too slow');
 * }
 * ```
 */
export class Timeout extends Error {
  /** The delay in seconds, or null for never. */
  readonly seconds: number | null;
  /** What is raised at the deadline: undefined for this Timeout, false to swallow it. */
  readonly exception: unknown;
  #ms: number | undefined;
  #timer: NodeJS.Timeout | undefined = undefined;
  #fired = false;
  #scopes: Scope[] = [];
  #controller: AbortController | undefined = undefined;
  #raised: unknown = undefined;

  constructor(seconds?: number | null, exception?: unknown) {
    const ms = secondsToMs(seconds, 'seconds');
    validateException(exception, 'exception');
    super(describe(seconds, exception));
    this.name = 'Timeout';
    this.seconds = seconds ?? null;
    this.exception = exception;
    this.#ms = ms;
  }

  /**
   * Creates a Timeout and starts it. Unlike gevent's, it raises nothing into the greenlet that
   * started it: at the deadline it aborts `run(fn)` and what was given its `signal`.
   *
   * @example
   * ```ts runnable
   * import { Timeout, sleep } from 'nodevent';
   * const work = () => sleep(1);
   * const t = Timeout.startNew(5);
   * try { await t.run(work); } finally { t.cancel(); }
   * ```
   */
  static startNew(seconds?: number | null, exception?: unknown): Timeout {
    return new Timeout(seconds, exception).start();
  }

  /** True while the timer runs. */
  get pending(): boolean {
    return this.#timer !== undefined;
  }

  /** True once the deadline passed. */
  get fired(): boolean {
    return this.#fired;
  }

  /** An AbortSignal that aborts at the deadline, with what the Timeout raises as reason. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#fired) this.#controller.abort(this.#raised);
    }
    return this.#controller.signal;
  }

  /**
   * Starts the timer: again after `cancel`, and after the deadline passed (the Timeout is re-armed
   * with a fresh `signal`, as gevent's `start` does). Returns the Timeout.
   */
  start(): this {
    if (this.#timer !== undefined || this.#ms === undefined) return this;
    if (this.#fired) {
      this.#fired = false;
      this.#raised = undefined;
      this.#controller = undefined;
    }
    this.#timer = rawSetTimeout(() => this.#fire(), this.#ms);
    return this;
  }

  /** Stops the timer; the deadline will not fire. */
  cancel(): void {
    if (this.#timer !== undefined) {
      rawClearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #fire(): void {
    this.#timer = undefined;
    this.#fired = true;
    // false (silent) and a string (a message) raise the Timeout itself, like no exception at all.
    const given = this.exception === false || typeof this.exception === 'string' ? undefined : this.exception;
    const raised = toException(given, () => this);
    this.#raised = raised;
    this.#controller?.abort(raised);
    for (const scope of this.#scopes) scope.abort(raised);
  }

  /**
   * Runs `fn` in a nested scope bounded by this deadline (starting the timer when needed) and
   * cancels the timer when `fn` ends. When `fn` ends normally, what the nested scope owns (a
   * socket it connected, a greenlet it spawned) passes to the enclosing scope. At the deadline the scope aborts and `run` rejects at once
   * with the Timeout (or the given exception), even if `fn` awaits something nobody owns.
   */
  async run<R>(fn: () => R | PromiseLike<R>): Promise<R | undefined> {
    validateFunction(fn, 'fn');
    const outer = scopeStorage.getStore() ?? null;
    const scope = new Scope(outer);
    outer?.own(scope);
    this.#scopes.push(scope);
    if (!this.#fired) this.start();
    try {
      if (this.#fired) scope.abort(this.#raised);
      return await raceScope(scope, fn);
    } catch (error) {
      if (error === this && this.exception === false) return undefined;
      throw error;
    } finally {
      this.#scopes.splice(this.#scopes.indexOf(scope), 1);
      if (this.#scopes.length === 0) this.cancel();
      outer?.disown(scope);
      // Ended normally: the sockets, children and other things it owns go on with the enclosing
      // scope, so killing that greenlet still reaches them.
      scope.release(outer);
    }
  }
}

/** Runs `fn` in `scope`; rejects with the scope's reason as soon as it aborts. */
function raceScope<R>(scope: Scope, fn: () => R | PromiseLike<R>): Promise<R> {
  return abortable<R>(scope, (resolve, reject) => {
    const result = scopeStorage.run(scope, fn);
    if (result === null || (typeof result !== 'object' && typeof result !== 'function') || typeof (result as PromiseLike<R>).then !== 'function') {
      resolve(result as R);
      return;
    }
    // A lazy thenable (a superagent request, a query builder) starts its I/O in `then`: called
    // inside the nested scope, so the deadline reaches that I/O.
    adoptIn(scope, result as PromiseLike<R>, resolve, reject);
  });
}

function describe(seconds: number | null | undefined, exception: unknown): string {
  if (seconds === undefined || seconds === null) return 'Timeout';
  const text = `${seconds} second${seconds === 1 ? '' : 's'}`;
  if (exception === false) return `${text} (silent)`;
  if (typeof exception === 'string') return `${text}: ${exception}`;
  return text;
}

/**
 * Runs `fn` with a deadline of `seconds`. At the deadline the nested scope aborts (its I/O is
 * destroyed) and the call rejects with a `Timeout`, or resolves `options.timeoutValue` when given.
 *
 * @example
 * ```ts
 * import { withTimeout } from 'nodevent';
 * const body = await withTimeout(1.5, () => fetch('http://127.0.0.1:8080/'), { timeoutValue: null });
 * ```
 */
export async function withTimeout<R, V = never>(
  seconds: number | null | undefined,
  fn: () => R | PromiseLike<R>,
  options: WithTimeoutOptions<V> = {},
): Promise<R | V> {
  validateOptions(options);
  validateFunction(fn, 'fn');
  const timeout = new Timeout(seconds);
  try {
    return (await timeout.run(fn)) as R;
  } catch (error) {
    if (error === timeout && 'timeoutValue' in options) return options.timeoutValue as V;
    throw error;
  }
}
