import { scopeStorage, waitScope, type ScopeResource, type Scope } from '../../runtime/scope.js';

// "A request keeps its greenlet": what every client patch shares. A request (a query, a command,
// a pool checkout) captures the scope that made it; the client's queue may serve it from any
// callback, so the patch carries the scope across by hand and lets the scope cancel exactly it.

/**
 * The scope a request made now belongs to: as for the runtime's waits, the current scope while it
 * is open; a closed one owns nothing new, so a killed greenlet's cleanup code (or a library
 * callback captured long ago) sends its request unowned — except that a kill which reached nothing
 * the body awaited is delivered to the first request after it, once (it comes back aborted).
 */
export function requestScope(): Scope | undefined {
  return waitScope();
}

/**
 * One request of one greenlet. `attach()` makes its scope own it; `done()` when the client
 * answered; when the scope aborts first, `cancel(reason)` runs once (a subclass removes it from
 * the client's queue or cancels it on the server).
 */
export abstract class ScopedRequest implements ScopeResource {
  readonly scope: Scope;
  /** Settled: answered, or cancelled. */
  settled = false;
  /** The scope aborted while the request was outstanding. */
  cancelled = false;
  reason: unknown = undefined;

  constructor(scope: Scope) {
    this.scope = scope;
  }

  /** Owns the request by its scope. False when the scope is dead already: do not send it. */
  attach(): boolean {
    if (this.scope.aborted) {
      this.settled = true;
      this.cancelled = true;
      this.reason = this.scope.reason;
      return false;
    }
    this.scope.own(this);
    return true;
  }

  /** The client answered: the scope forgets the request. */
  done(): void {
    if (this.settled) return;
    this.settled = true;
    this.scope.disown(this);
  }

  dispose(reason: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.cancelled = true;
    this.reason = reason;
    this.cancel(reason);
  }

  /** Stops the request: the greenlet that made it was killed or timed out. Must not throw. */
  protected abstract cancel(reason: unknown): void;
}

/**
 * `fn` made to run in `scope` whatever context calls it (a client's socket handler, a pool's queue).
 */
export function bindScope<F extends (...args: never[]) => unknown>(scope: Scope, fn: F): F {
  return function (this: unknown, ...args: Parameters<F>) {
    return scopeStorage.run(scope, () => fn.apply(this, args));
  } as F;
}

/**
 * An `'error'` listener that keeps a kill from crashing the process through an unheard error.
 */
export function noop(): void {}
