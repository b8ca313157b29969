import timers from 'node:timers';
import timersPromises from 'node:timers/promises';
import { owningScope, waitScope, type ScopeResource, type Scope } from '../runtime/scope.js';
import { isPatched, replace, restore } from '../internal/registry.js';

// Opt-in only (patchAll leaves it out by default): a timer belongs to the scope current when it is
// set, and nothing tells a greenlet's own timer from one a shared client sets while serving it (a
// batch flush, a retry, a keep-alive ping). Killing the greenlet would clear the client's timer and
// wedge every other greenlet using that client. See docs/patching.md.

const kOwner = Symbol('nodevent.timerOwner');

type Fn = (...args: unknown[]) => unknown;
type Handle = { [kOwner]?: TimerOwner };

class TimerOwner implements ScopeResource {
  readonly scope: Scope;
  readonly clear: (handle: unknown) => void;
  handle: unknown = undefined;
  constructor(scope: Scope, clear: (handle: unknown) => void) {
    this.scope = scope;
    this.clear = clear;
  }

  dispose(): void {
    if (this.handle !== undefined) this.clear(this.handle);
  }

  done(): void {
    this.scope.disown(this);
  }
}

function ownedSet(set: Fn, clear: (handle: unknown) => void, repeats: boolean): Fn {
  return function patchedSet(this: unknown, callback: unknown, ...rest: unknown[]) {
    const scope = owningScope();
    if (scope === undefined || typeof callback !== 'function') return set.call(this, callback, ...rest);
    const owner = new TimerOwner(scope, clear);
    const run = repeats
      ? callback
      : function (this: unknown, ...args: unknown[]) {
        owner.done();
        return (callback as Fn).apply(this, args);
      };
    const handle = set.call(this, run, ...rest);
    owner.handle = handle;
    if (handle !== null && typeof handle === 'object') (handle as Handle)[kOwner] = owner;
    scope.own(owner);
    return handle;
  };
}

function disowningClear(clear: Fn): Fn {
  return function patchedClear(this: unknown, handle: unknown) {
    if (handle !== null && typeof handle === 'object') {
      const owner = (handle as Handle)[kOwner];
      if (owner !== undefined) {
        (handle as Handle)[kOwner] = undefined;
        owner.done();
      }
    }
    return clear.call(this, handle);
  };
}

// Links a user's signal to per-call controllers with ONE listener per signal however many calls
// share it, so a long-lived signal never collects listeners (no MaxListenersExceededWarning).
const linked = new WeakMap<AbortSignal, Set<AbortController>>();

function link(signal: AbortSignal, controller: AbortController): () => void {
  let set = linked.get(signal);
  if (set === undefined) {
    const controllers = (set = new Set());
    linked.set(signal, set);
    signal.addEventListener('abort', () => {
      linked.delete(signal);
      for (const c of controllers) c.abort(signal.reason);
    }, { once: true });
  }
  set.add(controller);
  return () => {
    const current = linked.get(signal);
    current?.delete(controller);
    // The one listener stays until the signal aborts or is collected: removing and re-adding it
    // per call would cost more than it saves.
  };
}

interface SignalOptions {
  signal?: AbortSignal;
  [key: string]: unknown;
}

/** Runs `call(options)` with a signal that aborts with the scope or with the user's signal. */
function scoped<R>(scope: Scope, options: unknown, call: (options: SignalOptions) => R, settle: (result: R, done: () => void) => R): R {
  const user = (options ?? {}) as SignalOptions;
  if (user.signal?.aborted) return call(user);
  const controller = new AbortController();
  const owner: ScopeResource = { dispose: (reason) => controller.abort(reason) };
  const unlink = user.signal instanceof AbortSignal ? link(user.signal, controller) : undefined;
  const done = (): void => {
    scope.disown(owner);
    unlink?.();
  };
  scope.own(owner);
  let result: R;
  try {
    result = call({ ...user, signal: controller.signal });
  } catch (error) {
    done();
    throw error;
  }
  return settle(result, done);
}

function promiseTimer(original: Fn, optionsAt: number): Fn {
  return function patchedPromiseTimer(this: unknown, ...args: unknown[]) {
    const scope = waitScope();
    if (scope === undefined) return original.apply(this, args);
    return scoped(scope, args[optionsAt], (options) => {
      const copy = args.slice();
      while (copy.length < optionsAt) copy.push(undefined);
      copy[optionsAt] = options;
      return original.apply(this, copy) as Promise<unknown>;
    }, (promise, done) => {
      promise.then(done, done);
      return promise;
    });
  };
}

function promiseInterval(original: Fn): Fn {
  return function patchedInterval(this: unknown, delay: unknown, value: unknown, options: unknown) {
    const scope = waitScope();
    if (scope === undefined) return original.call(this, delay, value, options);
    return scoped(scope, options, (merged) => original.call(this, delay, value, merged) as AsyncIterableIterator<unknown>, (iterator, done) => {
      const finish = <T extends IteratorResult<unknown>>(result: T): T => {
        if (result.done === true) done();
        return result;
      };
      const fail = (error: unknown): never => {
        done();
        throw error;
      };
      return {
        next: (...a: [] | [unknown]) => iterator.next(...a).then(finish, fail),
        return: (v?: unknown) => {
          done();
          return iterator.return === undefined ? Promise.resolve({ done: true, value: v }) : iterator.return(v);
        },
        throw: (e?: unknown) => {
          done();
          return iterator.throw === undefined ? Promise.reject(e) : iterator.throw(e);
        },
        [Symbol.asyncIterator]() {
          return this;
        },
      } as AsyncIterableIterator<unknown>;
    });
  };
}

/**
 * Makes timers set inside a greenlet belong to its scope: `setTimeout`, `setInterval`,
 * `setImmediate` (global and `node:timers`) are cleared when the greenlet is killed or its timeout
 * fires, so their callbacks never run; `node:timers/promises` timers reject with an AbortError.
 * A greenlet that ends normally leaves its timers running. NOT part of `patchAll()`'s defaults:
 * a shared client's timer set while serving a greenlet would be cleared too. Idempotent.
 *
 * @example
 * ```ts runnable
 * import { patchTimers, spawn } from 'nodevent';
 * patchTimers();
 * const g = spawn(() => { setTimeout(() => console.log('never'), 100); return new Promise(() => {}); });
 * await g.kill();
 * ```
 */
export function patchTimers(): void {
  if (isPatched('timers')) return;
  const clearTimeout = timers.clearTimeout as Fn;
  const clearInterval = timers.clearInterval as Fn;
  const clearImmediate = timers.clearImmediate as Fn;
  const setTimeout = ownedSet(timers.setTimeout as unknown as Fn, clearTimeout as (h: unknown) => void, false);
  const setInterval = ownedSet(timers.setInterval as unknown as Fn, clearInterval as (h: unknown) => void, true);
  const setImmediate = ownedSet(timers.setImmediate as unknown as Fn, clearImmediate as (h: unknown) => void, false);
  const patched: Record<string, Fn> = {
    setTimeout,
    setInterval,
    setImmediate,
    clearTimeout: disowningClear(clearTimeout),
    clearInterval: disowningClear(clearInterval),
    clearImmediate: disowningClear(clearImmediate),
  };
  for (const [name, fn] of Object.entries(patched)) {
    if ((globalThis as Record<string, unknown>)[name] === (timers as Record<string, unknown>)[name]) {
      replace('timers', globalThis, name, fn, `globalThis.${name}`);
    }
    replace('timers', timers, name, fn);
  }
  replace('timers', timersPromises, 'setTimeout', promiseTimer(timersPromises.setTimeout as unknown as Fn, 2), 'promises.setTimeout');
  replace('timers', timersPromises, 'setImmediate', promiseTimer(timersPromises.setImmediate as unknown as Fn, 1), 'promises.setImmediate');
  replace('timers', timersPromises, 'setInterval', promiseInterval(timersPromises.setInterval as unknown as Fn), 'promises.setInterval');
}

/**
 * Puts back the original timer functions (global, `node:timers`, `node:timers/promises`).
 *
 * @example
 * ```ts runnable
 * import { patchTimers, unpatchTimers } from 'nodevent/patch';
 * patchTimers();
 * // ...
 * unpatchTimers();
 * ```
 */
export function unpatchTimers(): void {
  restore('timers');
}
