import type { Scope, ScopeResource } from './scope.js';

/**
 * A promise settled by `start`, that also rejects with `scope`'s reason as soon as the scope aborts
 * first: the runtime's waits, a lookup, a deadline race. The scope owns the wait only while it is
 * pending, so a settled wait leaves nothing behind in it. `onAbort(reason)` runs, once, when the
 * abort wins (clear a timer, release a request); never after `start` settled. A scope that was
 * already aborted rejects at once and `start` never runs. Without a scope it is a plain promise.
 * `start` throwing rejects, as in `new Promise`.
 *
 * @internal
 */
export function abortable<T>(
  scope: Scope | undefined,
  start: (resolve: (value: T) => void, reject: (error: unknown) => void) => void,
  onAbort?: (reason: unknown) => void,
): Promise<T> {
  if (scope === undefined) return new Promise<T>(start);
  if (scope.aborted) return Promise.reject(scope.reason);
  return new Promise<T>((resolve, reject) => {
    let pending = true;
    const owned: ScopeResource = {
      dispose(reason) {
        if (!pending) return;
        pending = false;
        reject(reason);
        onAbort?.(reason);
      },
    };
    // Owned before `start` runs: code that aborts the scope synchronously still ends the wait.
    scope.own(owned);
    const settle = <V>(fn: (v: V) => void) => (v: V): void => {
      if (!pending) return;
      pending = false;
      scope.disown(owned);
      fn(v);
    };
    const fail = settle(reject);
    try {
      start(settle(resolve), fail);
    } catch (error) {
      fail(error);
    }
  });
}

/**
 * `promise`, ended early by `scope`'s abort: rejects with the scope's reason as soon as it aborts
 * first; `onAbort(reason)` then runs once (release what the promise was waiting for).
 *
 * @internal
 */
export function bound<T>(promise: PromiseLike<T>, scope: Scope | undefined, onAbort?: (reason: unknown) => void): Promise<T> {
  if (scope === undefined) return Promise.resolve(promise);
  return abortable<T>(scope, (resolve, reject) => promise.then(resolve, reject), onAbort);
}
