import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Something a scope owns: when the scope aborts, `dispose(reason)` destroys it. When the scope
 * ends normally, owned things are never disposed: a nested scope hands them to its enclosing
 * scope, a greenlet forgets them.
 *
 * @example
 * ```ts
 * import net from 'node:net';
 * import { currentScope } from 'nodevent';
 * const socket = net.connect(8080, '127.0.0.1');
 * const owned = { dispose: (reason: unknown) => socket.destroy(reason as Error) };
 * currentScope()?.own(owned);
 * socket.once('close', () => currentScope()?.disown(owned));
 * ```
 */
export interface ScopeResource {
  dispose(reason: unknown): void;
}

const OPEN = 0;
const ABORTED = 1;
const RELEASED = 2;
/** The bits of `ScopeBase._bits` that hold the scope's state; a subclass owns the others. @internal */
export const SCOPE_STATE = 3;

/**
 * What few scopes need, made on first use. A subclass may keep its own rare fields here too (a
 * greenlet's name), so that it pays for no field of its own. @internal
 */
export interface ScopeAux {
  reason?: unknown;
  /** What the scope owns: the first resource alone (most scopes own one at a time), more in a set. */
  one?: ScopeResource | undefined;
  owned?: Set<ScopeResource> | undefined;
  controller?: AbortController;
  heir?: Scope;
  pending?: boolean;
}

/**
 * Disposes of `resource` for an abort with `reason`; true when it is what the body may be waiting
 * for (anything but a child greenlet).
 */
function disposeOf(resource: ScopeResource, reason: unknown): boolean {
  try {
    resource.dispose(reason);
  } catch {
    // A resource that fails to die must not keep the others alive.
  }
  return !(resource instanceof ScopeBase) || !resource._isTask;
}

/** Carries the current scope through every callback and promise continuation. */
export const scopeStorage = new AsyncLocalStorage<Scope>();

/**
 * The cancellation mechanics shared by {@link Scope} and `Greenlet`, in one object each: a
 * greenlet carries its scope's state in its own fields instead of holding a second object, which
 * every greenlet would pay for. What it shows publicly is `signal`; the mechanics (own, abort,
 * release, enter …) are public on `Scope` only, so a greenlet's public surface stays gevent's.
 *
 * @example
 * ```ts
 * import { spawn, currentScope, type ScopeBase } from 'nodevent';
 * const g = spawn(() => currentScope());
 * const base: ScopeBase = g; // a greenlet's scope is the greenlet itself
 * console.log(base.signal.aborted); // false
 * ```
 */
export abstract class ScopeBase {
  /** @internal The scope this one was opened in, or null at top level. */
  readonly outer: Scope | null;
  /**
   * @internal The scope's state in the bits of SCOPE_STATE; a Greenlet keeps its own state and
   * flags in the bits above, so that both cost one field.
   */
  _bits = OPEN;
  /**
   * @internal Reason, owned resources and controller live apart, made on first use: most
   * greenlets own nothing and never abort, and every field here is paid by every greenlet.
   */
  _aux: ScopeAux | undefined = undefined;

  constructor(outer: Scope | null = null) {
    this.outer = outer;
  }

  /** @internal True once the scope was aborted. */
  get aborted(): boolean {
    return (this._bits & SCOPE_STATE) === ABORTED;
  }

  /** @internal True once the scope ended, aborted or released. */
  get closed(): boolean {
    return (this._bits & SCOPE_STATE) !== OPEN;
  }

  /** @internal Why the scope was aborted (undefined while it was not). */
  get reason(): unknown {
    return this._aux?.reason;
  }

  /**
   * An AbortSignal that aborts with the scope's reason (for a greenlet: when it is killed, with
   * the kill's exception). Pass it to any API that takes a `signal`.
   */
  get signal(): AbortSignal {
    const aux = (this._aux ??= {});
    if (aux.controller === undefined) {
      aux.controller = new AbortController();
      if ((this._bits & SCOPE_STATE) === ABORTED) aux.controller.abort(aux.reason);
    }
    return aux.controller.signal;
  }

  /** @internal See {@link Scope.own}. */
  own(resource: ScopeResource): void {
    if ((this._bits & SCOPE_STATE) !== OPEN) return;
    const aux = (this._aux ??= {});
    if (aux.owned !== undefined) aux.owned.add(resource);
    else if (aux.one === undefined) aux.one = resource;
    else if (aux.one !== resource) {
      aux.owned = new Set([aux.one, resource]);
      aux.one = undefined;
    }
  }

  /** @internal See {@link Scope.disown}. */
  disown(resource: ScopeResource): void {
    const aux = this._aux;
    if (aux === undefined) return;
    if (aux.heir !== undefined) aux.heir.disown(resource);
    else if (aux.one === resource) aux.one = undefined;
    else aux.owned?.delete(resource);
  }

  /** @internal Number of resources the scope currently owns. */
  get ownedCount(): number {
    const aux = this._aux;
    return aux === undefined ? 0 : (aux.one === undefined ? 0 : 1) + (aux.owned?.size ?? 0);
  }

  /** @internal See {@link Scope.abort}. */
  abort(reason: unknown): boolean {
    if ((this._bits & SCOPE_STATE) !== OPEN) return false;
    this._bits = (this._bits & ~SCOPE_STATE) | ABORTED;
    const aux = (this._aux ??= {});
    aux.reason = reason;
    const { one, owned } = aux;
    aux.one = aux.owned = undefined;
    aux.controller?.abort(reason);
    // Did the kill reach what the body is waiting for? Only child greenlets owned means no: the body
    // awaits something nobody owns, and its next runtime wait receives the kill instead (gevent
    // raises a kill at the next switch), once.
    let delivered = false;
    if (one !== undefined) delivered = disposeOf(one, reason);
    if (owned !== undefined) for (const resource of owned) if (disposeOf(resource, reason)) delivered = true;
    if (!delivered) aux.pending = true;
    return true;
  }

  /** @internal True for a greenlet (a task of its own), false for a nested scope. */
  get _isTask(): boolean {
    return false;
  }

  /** @internal Takes the kill that reached nothing yet, once: true when there was one. */
  _takePendingKill(): boolean {
    const aux = this._aux;
    if ((this._bits & SCOPE_STATE) !== ABORTED || aux?.pending !== true) return false;
    aux.pending = false;
    return true;
  }

  /** @internal See {@link Scope.release}. */
  release(heir: Scope | null = null): void {
    if ((this._bits & SCOPE_STATE) !== OPEN) return;
    this._bits = (this._bits & ~SCOPE_STATE) | RELEASED;
    const aux = this._aux;
    if (aux === undefined) return;
    const { one, owned } = aux;
    aux.one = aux.owned = undefined;
    if (heir === null || heir.closed) return;
    aux.heir = heir;
    if (one !== undefined) heir.own(one);
    if (owned !== undefined) for (const resource of owned) heir.own(resource);
    // I/O started with this scope's `signal` may still run: the heir's abort reaches it too.
    if (aux.controller !== undefined) heir.own(abortsWith(aux.controller));
  }

  /** @internal Disposing of a nested scope aborts it. */
  dispose(reason: unknown): void {
    this.abort(reason);
  }

  /** @internal See {@link Scope.enter}. */
  enter<R>(fn: () => R): R {
    return scopeStorage.run(this as ScopeBase as Scope, fn);
  }
}

// Apart from release(), which every greenlet calls: a function with a captured variable allocates
// its closure context on every call, also when the closure is never made.
function abortsWith(controller: AbortController): ScopeResource {
  return { dispose: (reason) => controller.abort(reason) };
}

/**
 * A unit of cancellation. Every greenlet runs in one (its own); `withTimeout` opens a nested one.
 * I/O started while a scope is current registers with it through `own()`; `abort(reason)`
 * destroys all of it, and the scope's `signal` aborts with the same reason (a `GreenletExit` or a
 * `Timeout`). `currentScope()` returns the innermost one; for a greenlet's body that is the
 * greenlet's own scope, and `x instanceof Scope` holds for it.
 *
 * @example
 * ```ts runnable
 * import { currentScope } from 'nodevent';
 * const scope = currentScope();
 * if (scope) await fetch('http://127.0.0.1:8080/', { signal: scope.signal });
 * ```
 */
export interface Scope extends ScopeResource {
  // Declared here, implemented by ScopeBase: public on a Scope, internal on a Greenlet, and neither
  // pays for a second object or a forwarding call.
  /** The scope this one was opened in, or null at top level. */
  readonly outer: Scope | null;
  /** True once the scope was aborted. */
  get aborted(): boolean;
  /** True once the scope ended, aborted or released. */
  get closed(): boolean;
  /** Why the scope was aborted (undefined while it was not). */
  get reason(): unknown;
  /** Number of resources the scope currently owns. */
  get ownedCount(): number;
  /**
   * Registers `resource` with the scope, to be disposed when it aborts. A scope that already ended
   * or was aborted owns nothing new: the resource is neither tracked nor disposed. Library code
   * often runs in a context captured long ago (a reconnect timer, a pool's queue), and the kill
   * was delivered once, to what was outstanding when it came.
   */
  own(resource: ScopeResource): void;
  /**
   * Forgets `resource` without disposing of it (it finished, or it was handed on). In a nested
   * scope that ended normally the request goes on to the scope that inherited what it owned.
   */
  disown(resource: ScopeResource): void;
  /** Aborts the scope: the signal fires, then every owned resource is disposed. False if it had ended. */
  abort(reason: unknown): boolean;
  /**
   * Ends the scope normally; nothing it owns is destroyed. With an open `heir` (the enclosing
   * scope of a `withTimeout` block) everything it owns passes to the heir, which then disposes of
   * it if it aborts (and aborts this scope's `signal`, if it was used), and later `disown` calls
   * reach the heir. Without one it is forgotten.
   */
  release(heir?: Scope | null): void;
  /** Disposing of a nested scope aborts it. */
  dispose(reason: unknown): void;
  /** Runs `fn` with this scope current. */
  enter<R>(fn: () => R): R;
}

export class Scope extends ScopeBase {
  // currentScope() is typed Scope and may return a greenlet (whose scope is itself): instanceof
  // answers for the mechanics, which both share, not for the class that holds them.
  // A subclass of Scope keeps the ordinary test.
  static override [Symbol.hasInstance](value: unknown): boolean {
    return this === Scope ? value instanceof ScopeBase : Function.prototype[Symbol.hasInstance].call(this, value);
  }
}

const nativeThen = Promise.prototype.then;

/** Anything with a callable `then` (a promise or another thenable). @internal */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as PromiseLike<unknown>).then === 'function';
}

/** A native promise whose `then` is the native one: following it runs no user code. @internal */
export function isNativePromise(value: unknown): value is Promise<unknown> {
  return value instanceof Promise && value.then === nativeThen;
}

/**
 * Settles through `onValue`/`onError` when `thenable` does. A thenable other than a native promise
 * has its `then` called inside `scope`: a lazy thenable (superagent's request, a query builder)
 * starts its I/O in `then`, and that I/O must belong to the scope that returned it. A native
 * promise runs no user code in `then`, so it is followed directly.
 * @internal
 */
export function adoptIn<T>(scope: Scope, thenable: PromiseLike<T>, onValue: (value: T) => void, onError: (error: unknown) => void): void {
  if (isNativePromise(thenable)) {
    thenable.then(onValue, onError);
    return;
  }
  // A foreign then may call back more than once, or both ways: only the first call counts.
  let settled = false;
  const ok = (value: T | PromiseLike<T>): void => {
    if (settled) return;
    settled = true;
    if (value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<T>).then === 'function') {
      adoptIn(scope, value as PromiseLike<T>, onValue, onError);
    } else {
      onValue(value as T);
    }
  };
  const fail = (error: unknown): void => {
    if (settled) return;
    settled = true;
    onError(error);
  };
  try {
    scopeStorage.run(scope, () => thenable.then(ok, fail));
  } catch (error) {
    fail(error);
  }
}

/**
 * The scope that owns I/O started now: the innermost scope while it is open, else undefined. A
 * scope that ended or was aborted owns nothing new, so code running in a context captured long ago
 * (a client's reconnect timer, a pool's queue) starts I/O that belongs to nobody.
 * @internal
 */
export function owningScope(): Scope | undefined {
  const scope = scopeStorage.getStore();
  return scope === undefined || scope.closed ? undefined : scope;
}

/**
 * The scope that owns a runtime wait (sleep, joins, queue and lock waits): the innermost scope
 * while it is open. In a scope that was aborted it is that scope (the caller then rejects with
 * `reason`) only when the kill reached nothing the body was waiting for — the first wait after
 * receives it, once; otherwise undefined, so a greenlet that caught its kill and carries on waits
 * like code outside any greenlet instead of being rejected again on every wait (no spinning).
 * @internal
 */
export function waitScope(): Scope | undefined {
  const scope = scopeStorage.getStore();
  if (scope === undefined || !scope.closed) return scope;
  return scope._takePendingKill() ? scope : undefined;
}

/**
 * The innermost scope of the running code, or undefined outside any greenlet.
 *
 * @example
 * ```ts runnable
 * import { spawn, currentScope } from 'nodevent';
 * spawn(() => console.log(currentScope() !== undefined)); // true
 * ```
 */
export function currentScope(): Scope | undefined {
  return scopeStorage.getStore();
}

/**
 * The innermost scope's AbortSignal, or undefined outside any scope. Pass it to any API that
 * takes a `signal` to make that I/O end with the greenlet.
 *
 * @example
 * ```ts
 * import { spawn, currentSignal } from 'nodevent';
 * spawn(() => fetch('http://127.0.0.1:8080/', { signal: currentSignal() }));
 * ```
 */
export function currentSignal(): AbortSignal | undefined {
  return scopeStorage.getStore()?.signal;
}

/**
 * Runs `fn` outside every scope: what it starts is owned by no greenlet, so it survives kills and
 * timeouts. Use it for shared machinery (a connection pool, a client) created lazily from inside a
 * greenlet.
 *
 * @example
 * ```ts runnable
 * import { outsideScope } from 'nodevent';
 * import { createClient } from 'redis';
 * // A shared client: its connection belongs to no greenlet, whoever created it first.
 * const client = outsideScope(() => createClient());
 * ```
 */
export function outsideScope<R>(fn: () => R): R {
  // Not scopeStorage.exit(): on Node 20 that disables and re-enables the promise hooks each call.
  return scopeStorage.run(undefined as unknown as Scope, fn);
}
