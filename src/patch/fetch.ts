import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { Dispatcher } from 'undici';
import { outsideScope, owningScope, type ScopeResource, type Scope } from '../runtime/scope.js';
import { isPatched, replace, restore } from '../internal/registry.js';
import { invalidArgType } from '../internal/validate.js';
import { lookupsOwnedBy } from './dns.js';
import { heldOriginLookups, originLookups, type OriginLookups } from './connectlookups.js';

// Node 20's global fetch (its bundled undici) and the installed undici 7 (fetch, request, stream,
// ...) both take their dispatcher from these two global symbols, so one wrapper installed there
// covers both. The wrapper owns the *request*: a kill aborts it through the abort function undici
// hands to the handler. The pool itself is reached outside every scope, so the connections it
// opens while serving a greenlet are never that greenlet's.
const kGlobal1 = Symbol.for('undici.globalDispatcher.1');

// undici is loaded when first needed (a request through the global dispatcher when none was in
// place, a ScopedDispatcher made over a dispatcher of yours, compose), not with nodevent nor by
// patchFetch: the heap after `patchAll()` is 3.3 MB smaller (Node 26), and a process that
// resolves a thousand names at start-up no longer pays for it in a full garbage collection.
// ScopedDispatcher extends EventEmitter, which undici's Dispatcher extends without a constructor of
// its own; once undici is loaded Dispatcher goes in between, so that instances are Dispatchers.
type Undici = typeof import('undici');
const require = createRequire(import.meta.url);
let undici: Undici | undefined;
function loadUndici(): Undici {
  if (undici === undefined) {
    undici = require('undici') as Undici;
    Object.setPrototypeOf(ScopedDispatcher.prototype, undici.Dispatcher.prototype);
    Object.setPrototypeOf(ScopedDispatcher, undici.Dispatcher);
  }
  return undici;
}

/** Whether the installed undici was loaded, by us or by the application. */
function undiciLoaded(): boolean {
  if (undici !== undefined) return true;
  try {
    return require.cache[require.resolve('undici')] !== undefined;
  } catch {
    return false;
  }
}
const DispatcherBase = EventEmitter as unknown as typeof Dispatcher;
const kGlobal2 = Symbol.for('undici.globalDispatcher.2');

type Handler = Dispatcher.DispatchHandler & Record<PropertyKey, unknown>;
type DispatchFn = (options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler) => boolean;
type Fn = (...args: unknown[]) => unknown;

const ENDS = new Set<PropertyKey>(['onComplete', 'onError', 'onUpgrade', 'onResponseEnd', 'onResponseError', 'onRequestUpgrade']);

/** What a wrapped handler reports: the request starts on a connection, started, or ended. */
interface RequestWatch {
  /**
   * The request is about to start. Throws when it must not: undici then fails it before writing
   * anything, and the connection goes on to the next request.
   */
  admit(): void;
  started(abort: (reason: unknown) => void): void;
  done(): void;
}

/** A request dispatched outside greenlets while its origin holds connect lookups: it waits too. */
class RequestWait implements RequestWatch {
  #origin: OriginLookups | undefined;
  constructor(origin: OriginLookups) {
    this.#origin = origin;
    origin.enter();
  }

  admit(): void {
    // made outside greenlets: nothing kills it
  }

  started(): void {
    this.done();
  }

  done(): void {
    const origin = this.#origin;
    this.#origin = undefined;
    origin?.leave();
  }
}

class RequestOwner implements ScopeResource, RequestWatch {
  readonly scope: Scope;
  #abort: ((reason: unknown) => void) | undefined = undefined;
  #aborted = false;
  #reason: unknown = undefined;
  /** Its origin, while the request waits for a connection (see connectlookups.ts). */
  #waiting: OriginLookups | undefined;
  constructor(scope: Scope, origin: OriginLookups) {
    this.scope = scope;
    this.#waiting = origin;
    origin.enter();
  }

  dispose(reason: unknown): void {
    this.#aborted = true;
    this.#reason = reason;
    this.#stopWaiting();
    this.#abort?.(reason);
  }

  /**
   * Its greenlet died while the request was queued: the request is refused with the reason as its
   * turn comes. Aborting it once started would destroy the connection (undici's abort of a request
   * in progress), which the next request queued on it (another greenlet's) then has to make again.
   */
  admit(): void {
    if (!this.#aborted) return;
    this.#stopWaiting();
    throw this.#reason;
  }

  /** undici gave the handler its abort function (legacy onConnect or onRequestStart). */
  started(abort: (reason: unknown) => void): void {
    this.#stopWaiting();
    this.#abort = abort;
    if (this.#aborted) abort(this.#reason);
  }

  done(): void {
    this.#stopWaiting();
    this.#abort = undefined;
    this.scope.disown(this);
  }

  #stopWaiting(): void {
    const origin = this.#waiting;
    this.#waiting = undefined;
    origin?.leave();
  }
}

// A proxy keeps the handler's own shape (undici checks which API it implements) and calls its
// methods on the handler itself, so handlers with private fields keep working.
function wrapHandler(handler: Handler, owner: RequestWatch): Handler {
  const cache = new Map<PropertyKey, Fn>();
  return new Proxy(handler, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      let fn = cache.get(prop);
      if (fn !== undefined) return fn;
      const method = value as Fn;
      if (prop === 'onConnect') {
        fn = (abort, ...rest) => {
          owner.admit();
          const result = method.call(target, abort, ...rest);
          owner.started(abort as (reason: unknown) => void);
          return result;
        };
      } else if (prop === 'onRequestStart') {
        fn = (controller, ...rest) => {
          owner.admit();
          const result = method.call(target, controller, ...rest);
          owner.started((reason) => (controller as { abort(reason: unknown): void }).abort(reason));
          return result;
        };
      } else if (ENDS.has(prop)) {
        fn = (...args) => {
          owner.done();
          return method.apply(target, args);
        };
      } else {
        fn = (...args) => method.apply(target, args);
      }
      cache.set(prop, fn);
      return fn;
    },
  });
}

/** The origin a request goes to, as one key for the ways undici is given it. */
function originKey(origin: unknown): string {
  if (origin instanceof URL) return origin.origin;
  if (typeof origin !== 'string') return '';
  // fetch gives the same string for every request to a host: parsed once.
  if (origin === lastOrigin) return lastKey;
  let key = origin;
  try {
    key = new URL(origin).origin;
  } catch {
    // kept as given
  }
  lastOrigin = origin;
  lastKey = key;
  return key;
}
let lastOrigin: string | undefined;
let lastKey = '';

function scopedDispatch(dispatch: DispatchFn, options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
  const scope = owningScope();
  if (scope === undefined) {
    // Counted while it waits only when some connect of its origin is held (see connectlookups.ts):
    // it may be queued behind that connect.
    const held = heldOriginLookups(originKey(options.origin));
    return held === undefined ? dispatch(options, handler) : dispatchWatched(dispatch, options, handler, new RequestWait(held));
  }
  const origin = originLookups(originKey(options.origin));
  const owner = new RequestOwner(scope, origin);
  scope.own(owner);
  // The connect this dispatch may begin is the dispatcher's, and its lookup the origin's.
  return outsideScope(() => lookupsOwnedBy(origin, () => dispatchWatched(dispatch, options, handler, owner)));
}

function dispatchWatched(dispatch: DispatchFn, options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler, watch: RequestWatch): boolean {
  try {
    return dispatch(options, wrapHandler(handler as Handler, watch));
  } catch (error) {
    watch.done();
    throw error;
  }
}

/**
 * An undici interceptor that makes each request dispatched inside a greenlet belong to its scope
 * (aborted on kill or timeout with the reason) and keeps the dispatcher's connections out of every
 * scope. `patchFetch` installs it on the global dispatcher; use it on your own dispatchers with
 * `compose`.
 *
 * @example
 * ```ts runnable
 * import { Pool } from 'undici';
 * import { scopeInterceptor } from 'nodevent/patch';
 * const pool = new Pool('http://127.0.0.1:8080').compose(scopeInterceptor());
 * ```
 */
export function scopeInterceptor(): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (options, handler) => scopedDispatch(dispatch as DispatchFn, options, handler);
}

/**
 * A dispatcher in front of another one that applies `scopeInterceptor` to every request. Without
 * `inner`, it is the global dispatcher in place now, or, when there is none yet, an undici `Agent`
 * made at the first request. Closing or destroying it closes the inner dispatcher.
 *
 * @example
 * ```ts
 * import { Agent, fetch } from 'undici';
 * import { ScopedDispatcher } from 'nodevent/patch';
 * const dispatcher = new ScopedDispatcher(new Agent({ connections: 10 }));
 * await fetch('http://127.0.0.1:8080/', { dispatcher });
 * ```
 */
export class ScopedDispatcher extends DispatcherBase {
  #inner: Dispatcher | undefined;
  #dispatch: DispatchFn;

  constructor(inner?: Dispatcher) {
    if (inner !== undefined) {
      if (inner === null || typeof (inner as { dispatch?: unknown }).dispatch !== 'function') {
        throw invalidArgType('inner', 'a dispatcher (an object with a dispatch method)', inner);
      }
      loadUndici();
    }
    super();
    this.#inner = inner ?? (globalThis as Record<symbol, Dispatcher | undefined>)[kGlobal1];
    const dispatch: DispatchFn = (options, handler) => this.inner.dispatch(options, handler);
    this.#dispatch = (options, handler) => scopedDispatch(dispatch, options, handler);
  }

  /** The dispatcher requests are forwarded to. */
  get inner(): Dispatcher {
    return (this.#inner ??= new (loadUndici().Agent)());
  }

  /** @internal Whether the inner dispatcher exists (an `Agent` made on first use may not, yet). */
  get _hasInner(): boolean {
    return this.#inner !== undefined;
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    return this.#dispatch(options, handler);
  }

  // undici's own, which this class has only once undici is loaded.
  override compose(dispatchers: Dispatcher.DispatcherComposeInterceptor[]): Dispatcher.ComposedDispatcher;
  override compose(...dispatchers: Dispatcher.DispatcherComposeInterceptor[]): Dispatcher.ComposedDispatcher;
  override compose(...args: unknown[]): Dispatcher.ComposedDispatcher {
    return (loadUndici().Dispatcher.prototype.compose as Fn).apply(this, args) as Dispatcher.ComposedDispatcher;
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(...args: unknown[]): Promise<void> | void {
    return this.#forward('close', args);
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(...args: unknown[]): Promise<void> | void {
    return this.#forward('destroy', args);
  }

  /** Closes or destroys the inner dispatcher; one never made has nothing to close. */
  #forward(method: 'close' | 'destroy', args: unknown[]): Promise<void> | void {
    const inner = this.#inner;
    if (inner !== undefined) return (inner[method] as Fn).apply(inner, args) as Promise<void> | void;
    const callback = args[args.length - 1];
    if (typeof callback !== 'function') return Promise.resolve();
    queueMicrotask(() => (callback as Fn)(null));
  }
}

/**
 * Makes every request of Node's global `fetch` and of undici's `fetch` / `request` / `stream`
 * (through the global dispatcher) made inside a greenlet belong to its scope: on kill or timeout
 * it is aborted with the reason, and the server sees the connection close. The pool's other
 * connections and requests are untouched. Idempotent.
 *
 * @example
 * ```ts runnable
 * import { once } from 'node:events';
 * import http from 'node:http';
 * import type { AddressInfo } from 'node:net';
 * import { Timeout, patchFetch, withTimeout } from 'nodevent';
 * patchFetch();
 * const server = http.createServer(() => {}).listen(0, '127.0.0.1'); // never answers
 * await once(server, 'listening');
 * const { port } = server.address() as AddressInfo;
 * try {
 *   await withTimeout(0.5, () => fetch(`http://127.0.0.1:${port}/slow`));
 * } catch (err) {
 *   if (!(err instanceof Timeout)) throw err;
 *   console.log('too slow: the request and its connection are gone');
 * }
 * server.close();
 * ```
 */
export function patchFetch(): void {
  if (isPatched('fetch')) return;
  // In front of the global dispatcher in place, or of an Agent made at the first request when
  // there is none yet (undici makes one when it loads, but none has loaded).
  installed = new ScopedDispatcher();
  replace('fetch', globalThis, kGlobal1, installed, 'globalDispatcher');
  replace('fetch', globalThis, kGlobal2, installed, 'globalDispatcher.2');
}

/** The dispatcher patchFetch installed, while it is in place. */
let installed: ScopedDispatcher | undefined;

/**
 * Puts back the global dispatcher that was in place before `patchFetch`.
 *
 * @example
 * ```ts runnable
 * import { patchFetch, unpatchFetch } from 'nodevent/patch';
 * patchFetch();
 * // ...
 * unpatchFetch();
 * ```
 */
export function unpatchFetch(): void {
  const scoped = installed;
  installed = undefined;
  if (!restore('fetch') || scoped === undefined) return;
  // There was no global dispatcher before: undici, loaded meanwhile, made none of its own since
  // ours was in place. It gets ours, the Agent that served the requests made while patched.
  if ((globalThis as Record<symbol, unknown>)[kGlobal1] === undefined && (scoped._hasInner || undiciLoaded())) {
    loadUndici().setGlobalDispatcher(scoped.inner);
  }
}
