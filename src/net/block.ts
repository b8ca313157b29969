import { currentScope, waitScope } from '../runtime/scope.js';
import { rawClearTimeout, rawSetTimeout } from '../internal/timers.js';
import { BlockingIOError, timeout } from './errors.js';

// A green socket's blocking call: gevent's wait on a watcher with the socket's timeout, where the
// watcher is a Node callback and the wait belongs to a scope that a kill aborts.

/**
 * Blocks the calling greenlet until `register` settles, within the socket timeout `ms`
 * (undefined: no limit; 0: non-blocking) and the scope of the wait (`waitScope()`, as for the
 * runtime's own waits). `register(resolve, reject)` arms the operation and returns its cleanup,
 * which runs however the wait ends, so an abandoned wait never consumes data later.
 *
 * After a kill the wait is the waiter's: a greenlet that caught its kill and calls `recv` again
 * waits for data like code outside any greenlet (a loop on `recv` cannot spin the CPU). A kill
 * that reached nothing the body awaited rejects the first wait after it, before anything starts.
 */
export function block<T>(
  ms: number | undefined,
  register: (resolve: (value: T) => void, reject: (error: unknown) => void) => () => void,
): Promise<T> {
  const scope = waitScope();
  if (scope?.aborted) return Promise.reject(scope.reason);
  return new Promise<T>((resolve, reject) => {
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    let cleanup: (() => void) | undefined;
    const owned = { dispose: (reason: unknown) => finish(reject, reason) };
    function finish<V>(settle: (v: V) => void, value: V): void {
      if (done) return;
      done = true;
      if (timer !== undefined) rawClearTimeout(timer);
      scope?.disown(owned);
      cleanup?.();
      settle(value);
    }
    // The abort that closes the greenlet's socket wakes this wait before it disposes of the
    // wait itself: the caller must see the kill, not a closed socket.
    const succeed = (value: T): void => (scope?.aborted ? finish(reject, scope.reason) : finish(resolve, value));
    cleanup = register(succeed, (error) => finish(reject, error));
    if (done) {
      cleanup();
      return;
    }
    if (ms === 0) return finish(reject, new BlockingIOError());
    if (ms !== undefined) timer = rawSetTimeout(() => finish(reject, new timeout()), ms);
    scope?.own(owned);
  });
}

/**
 * True when `error` is why the current scope was aborted: the caller's kill or deadline (an abort
 * travels inward with its reason), as opposed to an error of the operation itself.
 * @internal
 */
export function isAbortReason(error: unknown): boolean {
  const scope = currentScope();
  return scope !== undefined && scope.aborted && scope.reason === error;
}
