import { currentScope, waitScope } from '../runtime/scope.js';
import { rawClearTimeout, rawSetTimeout } from '../internal/timers.js';
import { BlockingIOError, timeout } from './errors.js';

// A green socket's blocking call: gevent's wait on a watcher with the socket's timeout, where the
// watcher is a Node callback and the wait belongs to a scope that a kill aborts.

/**
 * What `register` arms: it calls `resolve` or `reject` (at once or later) and returns its cleanup.
 * `nonBlocking` is true when the socket timeout is 0: see `block`.
 */
export type Register<T> = (resolve: (value: T) => void, reject: (error: unknown) => void, nonBlocking: boolean) => () => void;

/**
 * Blocks the calling greenlet until `register` settles, within the socket timeout `ms`
 * (undefined: no limit; 0: non-blocking) and the scope of the wait (`waitScope()`, as for the
 * runtime's own waits). `register(resolve, reject, nonBlocking)` arms the operation and returns its
 * cleanup, which runs however the wait ends, so an abandoned wait never consumes data later.
 *
 * Non-blocking (`ms` 0): the call must not wait, and what it reports must match what it did. So
 * `register` is told (`nonBlocking`) and either settles before it returns or starts nothing: if it
 * has not settled when it returns, its cleanup runs and the call rejects with `BlockingIOError`
 * (EAGAIN). An operation with an effect (a write, a connect) therefore decides first whether it can
 * complete now, and does it only then: a call that rejected had no effect, so a retry cannot
 * repeat it. With `local`, the operation is one that never blocks in Python (bind, listen, a
 * datagram handed to the kernel) but that Node answers a little later: at timeout 0 the call
 * waits for that answer, without a timer; with a timeout it is bounded as any other call.
 *
 * After a kill the wait is the waiter's: a greenlet that caught its kill and calls `recv` again
 * waits for data like code outside any greenlet (a loop on `recv` cannot spin the CPU). A kill
 * that reached nothing the body awaited rejects the first wait after it, before anything starts.
 */
export function block<T>(ms: number | undefined, register: Register<T>, local = false): Promise<T> {
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
    cleanup = register(succeed, (error) => finish(reject, error), ms === 0);
    if (done) {
      cleanup();
      return;
    }
    if (ms === 0 && !local) return finish(reject, new BlockingIOError());
    if (ms !== undefined && ms !== 0) timer = rawSetTimeout(() => finish(reject, new timeout()), ms);
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
