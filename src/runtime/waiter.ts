import type { Greenlet } from './greenlet.js';
import { hub } from './hub.js';
import { isThenable, outsideScope, waitScope, type ScopeResource, type Scope } from './scope.js';
import { rawClearTimeout, rawSetTimeout } from '../internal/timers.js';

/**
 * One parked caller of a coordination primitive (an event, a queue, a lock). It sits in its
 * primitive's FIFO list and is owned by the caller's scope: when the greenlet is killed or its
 * timeout fires, the waiter leaves the list, clears its timer and rejects with the scope's reason.
 * Whatever settles it first (wake, fail, timeout, scope) wins; the rest are no-ops.
 * @internal
 */
export class Waiter<T, D = undefined> implements ScopeResource {
  /** What the caller brings along (a putter's item). */
  readonly data: D;
  readonly promise: Promise<T>;
  /** The scope the caller waits in, if any (none when it had already ended: the kill came before). */
  readonly scope: Scope | undefined;
  #resolve!: (value: T) => void;
  #reject!: (error: unknown) => void;
  #list: Set<Waiter<T, D>>;
  #timer: NodeJS.Timeout | undefined = undefined;
  #settled = false;

  constructor(list: Set<Waiter<T, D>>, data: D, ms: number | undefined, onTimeout: (waiter: Waiter<T, D>) => void) {
    this.data = data;
    this.#list = list;
    const scope = waitScope();
    this.scope = scope?.aborted ? undefined : scope;
    this.promise = new Promise<T>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    list.add(this);
    if (scope?.aborted) {
      this.fail(scope.reason); // the kill that reached nothing yet
      return;
    }
    if (ms !== undefined) this.#timer = rawSetTimeout(() => onTimeout(this), ms);
    this.scope?.own(this);
  }

  get settled(): boolean {
    return this.#settled;
  }

  #settle(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    this.#list.delete(this);
    this.scope?.disown(this);
    if (this.#timer !== undefined) rawClearTimeout(this.#timer);
    return true;
  }

  wake(value: T): boolean {
    if (!this.#settle()) return false;
    this.#resolve(value);
    return true;
  }

  fail(error: unknown): boolean {
    if (!this.#settle()) return false;
    this.#reject(error);
    return true;
  }

  dispose(reason: unknown): void {
    this.fail(reason);
  }
}

/** The oldest waiter of a FIFO list (a Set keeps insertion order). @internal */
export function first<W>(list: Set<W>): W | undefined {
  for (const waiter of list) return waiter;
  return undefined;
}

/**
 * Runs a user's link callback outside every scope; a callback that throws, or returns a promise
 * that rejects (an async callback, `g.link(() => queue.put(x))`), is reported through the hub (its
 * `errorHandler`, else its stream) instead of breaking the notifier or becoming an unhandled
 * rejection. @internal
 */
export function callLink<O>(owner: O, fn: (obj: O) => void): void {
  const report = (error: unknown): void => hub.reportError(owner as unknown as Greenlet, error, `link callback of ${String(owner)}`);
  outsideScope(() => {
    try {
      const result = fn(owner) as unknown;
      if (isThenable(result)) Promise.resolve(result).catch(report);
    } catch (error) {
      report(error);
    }
  });
}
