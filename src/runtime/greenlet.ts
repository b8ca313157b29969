import { diagnostics } from './diagnostics.js';
import { GreenletExit } from './errors.js';
import { hub } from './hub.js';
import { ScopeBase, type Scope, type ScopeAux, adoptIn, isNativePromise, isThenable, outsideScope, scopeStorage, waitScope } from './scope.js';
import { Timeout } from './timeout.js';
import { rawClearTimeout, rawSetImmediate, rawSetTimeout } from '../internal/timers.js';
import { toException, validateException } from '../internal/exception.js';
import { secondsToMs, validateFlag, validateFunction, validateOptions } from '../internal/validate.js';
import { kAddWaiter, kObserve, kRemoveWaiter } from './wait.js';
import { enqueue } from './runqueue.js';
import { callLink } from './waiter.js';

/** A callback given to `link`; it receives the greenlet that ended. */
export type LinkCallback<G = Greenlet> = (greenlet: G) => void;

/** Options of `Greenlet.kill`. */
export interface KillOptions {
  /** The exception to kill with: an instance or a class. @default GreenletExit */
  exception?: unknown;
  /** Whether the returned promise waits for the greenlet to be dead. @default true */
  block?: boolean;
  /** With `block`, the most seconds to wait. @default undefined (no limit) */
  timeout?: number | null;
}

/** Options of `get` and `join`. */
export interface WaitOptions {
  /** The most seconds to wait; undefined or null waits without limit. */
  timeout?: number | null;
  /** `get` only: false rejects with a `Timeout` at once when the greenlet is still running. @default true */
  block?: boolean;
}

// A greenlet's state and flags share ScopeBase's `_bits` with its scope's state (the low bits).
const NEW = 0;
const SCHEDULED = 4;
const RUNNING = 8;
const DEAD = 12;
const STATE = 12;

const OBSERVED = 16;
const RAN = 32;
const FAILED = 64;

const LINK_ANY = 0;
const LINK_VALUE = 1;
const LINK_EXCEPTION = 2;
const LINK_INTERNAL = 3;
// `fn` null: unlinked while the links were being notified.
type Link = { fn: LinkCallback<never> | null; kind: number };

// What few greenlets use, in the scope's side object: no field of their own for it.
interface GreenletAux extends ScopeAux {
  name?: string;
  startTimer?: NodeJS.Timeout | undefined;
  // While the links are called (the greenlet is dead), this is the array being called: `unlink`
  // then marks entries instead of copying, so a callback can stop a later one.
  links?: Link[] | null;
}

let nextIdent = 0;

function newGreenletExit(): GreenletExit {
  return new GreenletExit();
}

/**
 * A lightweight task: a function run in its own cancellable scope, with gevent's Greenlet API.
 * It is awaitable: `await greenlet` is `greenlet.get()`.
 *
 * @example
 * ```ts runnable
 * import { Greenlet } from 'nodevent';
 * const g = new Greenlet(async (a: number, b: number) => a + b, 1, 2);
 * g.start();
 * console.log(await g); // 3
 * ```
 */
export class Greenlet<T = unknown, A extends unknown[] = any[]> extends ScopeBase implements PromiseLike<T> {
  // Every field is paid by every greenlet: the function until it ends, then its value or
  // exception, share one slot; state and booleans are bits of the scope's `_bits`; and what few
  // greenlets use (a name, a start timer, links) lives in the scope's side object, made on demand.
  #body: unknown;
  #args: A;
  // One runtime waiter (a join, a joinAll) without allocating a link list: the common case.
  #waiter: ((greenlet: never) => void) | null = null;

  get #rare(): GreenletAux | undefined {
    return this._aux as GreenletAux | undefined;
  }

  #aux(): GreenletAux {
    return (this._aux ??= {}) as GreenletAux;
  }

  constructor(fn: (...args: A) => T | PromiseLike<T>, ...args: A) {
    validateFunction(fn, 'fn');
    const outer = scopeStorage.getStore();
    super(outer ?? null);
    this.#body = fn;
    this.#args = args;
    // A child belongs to the scope it was spawned in: killing the parent kills it.
    outer?.own(this);
  }

  /**
   * Creates a greenlet and starts it.
   *
   * @example
   * ```ts runnable
   * import { Greenlet } from 'nodevent';
   * const g = Greenlet.spawn(() => 42);
   * console.log(await g); // 42
   * ```
   */
  static spawn<T, A extends unknown[]>(fn: (...args: A) => T | PromiseLike<T>, ...args: A): Greenlet<T, A> {
    return new Greenlet(fn, ...args).start();
  }

  /** The greenlet that spawned this one, or null when spawned outside any greenlet. */
  get parent(): Greenlet | null {
    return this.outer === null ? null : ownerOf(this.outer);
  }

  /** `Greenlet-N` unless assigned; N is small and counted per process. */
  get name(): string {
    return (this.#aux().name ??= `Greenlet-${++nextIdent}`);
  }

  set name(value: string) {
    this.#aux().name = String(value);
  }

  /** The result once the greenlet succeeded (the GreenletExit when killed); null before. */
  get value(): T | GreenletExit | null {
    return (this._bits & (STATE | FAILED)) === DEAD ? (this.#body as T | GreenletExit) : null;
  }

  /** The error the greenlet failed with; null unless it failed. */
  get exception(): unknown {
    return (this._bits & FAILED) !== 0 ? this.#body : null;
  }

  /** True while the greenlet is scheduled or running (or waiting to start later); false once dead, as in gevent. */
  get started(): boolean {
    return (this._bits & STATE) === SCHEDULED || (this._bits & STATE) === RUNNING || this.#rare?.startTimer !== undefined;
  }

  /** True once the greenlet finished, failed or was killed. */
  get dead(): boolean {
    return (this._bits & STATE) === DEAD;
  }

  /** True once the greenlet finished, failed or was killed. */
  ready(): boolean {
    return (this._bits & STATE) === DEAD;
  }

  /** True once the greenlet finished without error (being killed with GreenletExit counts). */
  successful(): boolean {
    return (this._bits & STATE) === DEAD && (this._bits & FAILED) === 0;
  }

  /** Schedules the body to run on a later tick. Returns the greenlet. */
  start(): this {
    if ((this._bits & STATE) !== NEW || this.#rare?.startTimer !== undefined) return this;
    this.#schedule();
    if (diagnostics.spawn.hasSubscribers) diagnostics.spawn.publish(this);
    return this;
  }

  #schedule(): void {
    this._bits = (this._bits & ~STATE) | SCHEDULED;
    enqueue(this as Greenlet);
  }

  /** Schedules the body to run after `seconds`. Returns the greenlet. */
  startLater(seconds: number): this {
    const ms = secondsToMs(seconds, 'seconds', false)!;
    if ((this._bits & STATE) !== NEW || this.#rare?.startTimer !== undefined) return this;
    const rare = this.#aux();
    rare.startTimer = rawSetTimeout(() => {
      rare.startTimer = undefined;
      this.#schedule();
    }, ms);
    // gevent calls spawn callbacks when the greenlet is spawned, not when it starts running.
    if (diagnostics.spawn.hasSubscribers) diagnostics.spawn.publish(this);
    return this;
  }

  /** @internal True while a `startLater` delay runs (the greenlet is not scheduled yet). */
  get _startDelayed(): boolean {
    return this.#rare?.startTimer !== undefined;
  }

  /** @internal Runs the body; called by the scheduler's drain only, which restores the context. */
  _run(): void {
    if ((this._bits & STATE) !== SCHEDULED) return;
    this._bits = (this._bits & ~STATE) | RUNNING;
    this._bits |= RAN;
    // Entered, not run: the drain brings its own context back (see drain).
    scopeStorage.enterWith(this as ScopeBase as Scope);
    if (diagnostics.start.hasSubscribers) diagnostics.start.publish(this);
    let result: T | PromiseLike<T>;
    try {
      result = (this.#body as (...args: A) => T | PromiseLike<T>)(...this.#args);
    } catch (error) {
      this.#finish(undefined, error, true);
      return;
    }
    // A body that returns its own greenlet (`spawn(() => getCurrent())`) has that as its value:
    // adopting it would wait on itself forever.
    if (result === (this as unknown) || !isThenable(result)) {
      this.#finish(result as T, null, false);
      return;
    }
    if (isNativePromise(result)) result.then(Greenlet.#bodyValue, Greenlet.#bodyError);
    else this.#adoptForeign(result);
  }

  // Apart from _run: a function whose parameters or `this` an arrow captures allocates their
  // context on every call, also when the arrow is never made. The same goes for the other hot
  // paths below (waiters, finish).
  #adoptForeign(result: PromiseLike<T>): void {
    adoptIn(
      this,
      result,
      (value) => this.#finish(value, null, false),
      (error) => this.#finish(undefined, error, true),
    );
  }

  // A promise reaction runs in the context its `then` was called in: for the body's promise that
  // is the greenlet's own scope (entered by _run), so the handlers find their greenlet there and
  // are shared by all greenlets instead of two closures made for each.
  static #bodyValue(value: unknown): void {
    (scopeStorage.getStore() as ScopeBase as Greenlet).#finish(value, null, false);
  }

  static #bodyError(error: unknown): void {
    (scopeStorage.getStore() as ScopeBase as Greenlet).#finish(undefined, error, true);
  }

  #finish(value: T | GreenletExit | undefined, error: unknown, failed: boolean): void {
    if ((this._bits & STATE) === DEAD) return; // killed already: what the body does afterwards is ignored
    if (failed && error instanceof GreenletExit) {
      // A body that raises GreenletExit itself ends quietly, as gevent's: a success whose value is
      // the GreenletExit.
      failed = false;
      value = error;
    }
    this._bits = (this._bits & ~STATE) | DEAD;
    if (failed) {
      this._bits |= FAILED;
      this.#body = error;
    } else {
      this.#body = value;
    }
    this.#args = undefined as unknown as A; // let the arguments be collected
    this.outer?.disown(this);
    if (this.aborted === false) this.release();
    if (diagnostics.end.hasSubscribers) diagnostics.end.publish(this);
    if (failed) {
      if (diagnostics.failed.hasSubscribers) diagnostics.failed.publish(this);
    } else if (value instanceof GreenletExit && diagnostics.killed.hasSubscribers) {
      diagnostics.killed.publish(this);
    }
    const links = this.#rare?.links ?? null;
    const waiter = this.#waiter;
    this.#waiter = null;
    // Observed: someone waits or is linked for a failure now, or took responsibility (kObserve), or
    // a join, get or await comes before the microtasks this death started have run (`await
    // spawn(fn)` of a body that throws at once: the await's `then` runs after the body).
    if (failed && (this._bits & OBSERVED) === 0 && waiter === null && !watchesFailure(links)) {
      queueMicrotask(() => process.nextTick(() => {
        if ((this._bits & OBSERVED) === 0) reportUnobserved(this as Greenlet, error);
      }));
    }
    if (waiter !== null) (waiter as (greenlet: this) => void)(this);
    if (links !== null) {
      this.#notify(links);
      this.#rare!.links = null;
    }
  }

  #notify(links: Link[]): void {
    const ok = (this._bits & FAILED) === 0;
    for (const link of links) {
      const fn = link.fn as LinkCallback<this> | null;
      if (fn === null) continue; // unlinked by an earlier callback
      if (link.kind === LINK_VALUE && !ok) continue;
      if (link.kind === LINK_EXCEPTION && ok) continue;
      // The runtime's own waiters run as they are; user callbacks run outside the dead scope.
      if (link.kind === LINK_INTERNAL) fn(this);
      else callLink(this, fn);
    }
  }

  /** Forgets the links made with `fn`: in place while they are being called, else by copy. */
  #dropLinks(fn: unknown): void {
    const links = this.#rare?.links ?? null;
    if (links === null) return;
    if ((this._bits & STATE) === DEAD) {
      for (const link of links) if (link.fn === fn) link.fn = null;
    } else {
      this.#rare!.links = links.filter((link) => link.fn !== fn);
    }
  }

  #addLink(fn: unknown, kind: number): void {
    validateFunction(fn, 'callback');
    const link: Link = { fn: fn as LinkCallback<never>, kind };
    if ((this._bits & STATE) === DEAD) {
      if (kind !== LINK_VALUE) this._bits |= OBSERVED;
      queueMicrotask(() => this.#notify([link]));
    } else {
      (this.#aux().links ??= []).push(link);
    }
  }

  /**
   * Calls `callback(greenlet)` when the greenlet ends, however it ends; at once (on a later tick)
   * when it already has.
   */
  link(callback: LinkCallback<this>): void {
    this.#addLink(callback, LINK_ANY);
  }

  /** Like `link`, but only when the greenlet succeeded. */
  linkValue(callback: LinkCallback<this>): void {
    this.#addLink(callback, LINK_VALUE);
  }

  /** Like `link`, but only when the greenlet failed. */
  linkException(callback: LinkCallback<this>): void {
    this.#addLink(callback, LINK_EXCEPTION);
  }

  /** Removes every link made with `callback`, also while the links are being called. */
  unlink(callback: LinkCallback<this>): void {
    this.#dropLinks(callback);
  }

  /** @internal Runtime waiters (wait, joinAll): called on death, in the greenlet's context. */
  [kAddWaiter](fn: (greenlet: this) => void): void {
    if ((this._bits & STATE) === DEAD) {
      this._bits |= OBSERVED;
      callLater(fn, this);
    } else if (this.#waiter === null) {
      this.#waiter = fn as (greenlet: never) => void;
    } else {
      (this.#aux().links ??= []).push({ fn: fn as LinkCallback<never>, kind: LINK_INTERNAL });
    }
  }

  /** @internal */
  [kRemoveWaiter](fn: (greenlet: this) => void): void {
    if (this.#waiter === fn) this.#waiter = null;
    else this.#dropLinks(fn);
  }

  /** @internal Counts the greenlet as observed (its failure is someone's to handle, not the hub's). */
  [kObserve](): void {
    this._bits |= OBSERVED;
  }

  /**
   * Resolves once dead, or after `timeout` seconds. The wait belongs to the caller: it rejects only
   * when the waiting greenlet is killed or its own timeout fires (with that reason).
   */
  join(options: WaitOptions = {}): Promise<void> {
    validateOptions(options);
    const ms = secondsToMs(options.timeout, 'options.timeout');
    if ((this._bits & STATE) === DEAD) {
      this._bits |= OBSERVED;
      return Promise.resolve();
    }
    const scope = waitScope();
    if (scope?.aborted) return Promise.reject(scope.reason);
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const owned = scope === undefined ? undefined : {
        dispose: (reason: unknown): void => {
          if (timer !== undefined) rawClearTimeout(timer);
          this[kRemoveWaiter](done);
          reject(reason);
        },
      };
      const done = (): void => {
        if (timer !== undefined) rawClearTimeout(timer);
        if (owned !== undefined) scope!.disown(owned);
        resolve();
      };
      if (ms !== undefined) {
        timer = rawSetTimeout(() => {
          this[kRemoveWaiter](done);
          if (owned !== undefined) scope!.disown(owned);
          resolve();
        }, ms);
      }
      this[kAddWaiter](done);
      if (owned !== undefined) scope!.own(owned);
    });
  }

  /**
   * Resolves with the value, rejects with the failure, or rejects with a `Timeout` after
   * `timeout` seconds (at once with `block: false` while it runs). A greenlet killed with
   * GreenletExit resolves with that GreenletExit.
   */
  async get(options: WaitOptions = {}): Promise<T> {
    validateOptions(options);
    validateFlag(options.block, 'options.block');
    if ((this._bits & STATE) === DEAD) this._bits |= OBSERVED;
    else if (options.block === false) throw new Timeout(0);
    else {
      // `await getCurrent()` in the body, or an async body that returns its own greenlet: it
      // could only wait for itself forever.
      if ((this._bits & STATE) === RUNNING && getCurrent() === this) {
        throw new TypeError('Chaining cycle: a greenlet cannot wait for its own result (it returned or awaited itself)');
      }
      const seconds = options.timeout;
      await this.join(options);
      if ((this._bits & STATE) !== DEAD) throw new Timeout(seconds ?? null);
    }
    if ((this._bits & FAILED) !== 0) throw this.#body;
    // A promise cannot resolve with the greenlet itself: being thenable, it would be adopted again
    // forever. Same rule as a promise resolved with itself.
    if (this.#body === this) throw new TypeError('Chaining cycle: the value of this greenlet is the greenlet itself; read greenlet.value after join()');
    return this.#body as T;
  }

  /** Makes the greenlet awaitable: `await g` is `g.get()`. */
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.get().then(onFulfilled, onRejected);
  }

  /**
   * Kills the greenlet: its scope aborts with the exception, so the I/O it owns is destroyed and
   * the operation it awaits rejects. It is dead at once; with `block` the promise resolves after
   * one more turn of the loop, so its cleanup code has run. Never rejects. A greenlet killed before
   * it started never runs, and its links still fire.
   */
  kill(options: KillOptions = {}): Promise<void> {
    validateOptions(options);
    const ms = secondsToMs(options.timeout, 'options.timeout');
    validateFlag(options.block, 'options.block');
    validateException(options.exception, 'options.exception');
    const exception = toException(options.exception, newGreenletExit);
    if ((this._bits & STATE) !== DEAD) {
      const rare = this.#rare;
      if (rare?.startTimer !== undefined) {
        rawClearTimeout(rare.startTimer);
        rare.startTimer = undefined;
      }
      this.abort(exception);
      const failed = !(exception instanceof GreenletExit);
      this.#finish(failed ? undefined : (exception as GreenletExit), exception, failed);
    }
    if (options.block === false) return Promise.resolve();
    return new Promise<void>((resolve) => {
      if (ms === 0) resolve();
      else rawSetImmediate(resolve);
    });
  }

  /** @internal A greenlet is a task of its own: killing it is not a delivery to its parent's body. */
  override get _isTask(): boolean {
    return true;
  }

  /** @internal Disposing of a greenlet (its owner scope ended) kills it with GreenletExit. */
  override dispose(reason: unknown): void {
    void this.kill({ exception: reason instanceof GreenletExit ? reason : new GreenletExit(), block: false });
  }

  override toString(): string {
    return `<Greenlet "${this.name}">`;
  }
}

/** True when one of `links` would be called for a failure. */
function watchesFailure(links: Link[] | null): boolean {
  if (links === null) return false;
  for (const link of links) if (link.fn !== null && link.kind !== LINK_VALUE) return true;
  return false;
}

function reportUnobserved(g: Greenlet, error: unknown): void {
  outsideScope(() => hub.reportError(g, error));
}

function callLater<G>(fn: (greenlet: G) => void, g: G): void {
  queueMicrotask(() => fn(g));
}

function ownerOf(scope: Scope): Greenlet | null {
  let current: Scope | null = scope;
  while (current !== null && !(current instanceof Greenlet)) current = current.outer;
  return current;
}

/**
 * The greenlet whose code is running, or null outside every greenlet.
 *
 * @example
 * ```ts runnable
 * import { spawn, getCurrent } from 'nodevent';
 * const g = spawn(() => getCurrent());
 * await g.join();
 * console.log(g.value === g); // true
 * ```
 */
export function getCurrent(): Greenlet | null {
  const scope = scopeStorage.getStore();
  return scope === undefined ? null : ownerOf(scope);
}
