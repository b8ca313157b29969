import PQueue from 'p-queue';
import { GreenletExit } from './errors.js';
import { Event } from './event.js';
import { Greenlet, getCurrent, type KillOptions } from './greenlet.js';
import { offEnd, onEnd } from './diagnostics.js';
import { abortable } from './abortable.js';
import { currentScope, outsideScope, waitScope, type Scope } from './scope.js';
import { rawSetImmediate } from '../internal/timers.js';
import { toException } from '../internal/exception.js';
import { invalidArgType, outOfRange, secondsToMs, validateFunction } from '../internal/validate.js';
import { kObserve } from './wait.js';
import { Waiter } from './waiter.js';

/** Options of `join` on a Group or Pool. */
export interface GroupJoinOptions {
  /** The most seconds to wait; null waits without limit. */
  timeout?: number | null;
  /**
   * Once the set is empty (or at the timeout), reject with the error of the first member that
   * failed while waiting. @default false
   */
  raiseError?: boolean;
}

/** Options of `Pool`: p-queue's scheduling, exposed in seconds. */
export interface PoolOptions {
  /**
   * Length of the rate-limit window in seconds: at most `intervalCap` greenlets start per window.
   * @default 0 (no rate limit)
   * @example new Pool(10, { interval: 1, intervalCap: 5 }) // 10 at once, 5 starts a second
   */
  interval?: number;
  /** Greenlets started per `interval`. @default Infinity */
  intervalCap?: number;
  /** Sliding-window rate limit instead of fixed windows (p-queue's `strict`). @default false */
  strict?: boolean;
}

/** Options of `Pool.spawnWith`. */
export interface SpawnOptions {
  /** Waiting spawns with a greater priority start first. @default 0 */
  priority?: number;
}

type Fn<A extends unknown[], R> = (...args: A) => R | PromiseLike<R>;

/**
 * What `await pool.spawn(fn)` resolves with. A wrapper, not the Greenlet itself: a Greenlet is
 * awaitable, so a promise resolved with it would wait for the greenlet's result instead.
 */
export interface Spawned<G> {
  readonly greenlet: G;
}
const NOOP = (): void => {};

function checkIterable(value: unknown, name: string): void {
  if (value == null || (typeof (value as Iterable<unknown>)[Symbol.iterator] !== 'function' &&
    typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] !== 'function')) {
    throw invalidArgType(name, 'an iterable or async iterable', value);
  }
}

/** Creates a greenlet as if `spawn` had been called in `scope` (none: outside every greenlet). */
function spawnIn<A extends unknown[], R>(scope: Scope | undefined, fn: Fn<A, R>, args: A): Greenlet<Awaited<R>, A> {
  const make = (): Greenlet<Awaited<R>, A> => new Greenlet(fn as Fn<A, Awaited<R>>, ...args).start();
  return scope === undefined ? outsideScope(make) : scope.enter(make);
}

/**
 * What Group and Pool share, as gevent's Group: a set of greenlets that leave it when they end,
 * plus `join`, `kill`, `map`, `imap`, `imapUnordered` and `apply`.
 *
 * @example
 * ```ts runnable
 * import { GreenletSet, Group, Pool } from 'nodevent';
 * const sets: GreenletSet[] = [new Group(), new Pool(4)];
 * for (const set of sets) await set.map(async (n: number) => n * 2, [1, 2, 3]);
 * ```
 */
export abstract class GreenletSet {
  #members = new Set<Greenlet<any, any>>();
  #empty = new Event();
  // The raising joins waiting now: the members each waits for, and the first of them that failed.
  #raisers = new Set<{ members: Set<Greenlet<any, any>>; failed: Greenlet<any, any> | null }>();
  #onMemberEnd = (g: Greenlet<any, any>): void => {
    if (g.exception !== null) {
      for (const raiser of this.#raisers) {
        if (raiser.failed !== null || !raiser.members.has(g)) continue;
        // That join raises this failure, so the hub must not report it too. Counted only now: a
        // join that timed out earlier leaves nothing behind that would silence later failures.
        raiser.failed = g;
        g[kObserve]();
      }
    }
    this.#remove(g);
  };

  constructor() {
    this.#empty.set();
  }

  /** Starts `fn(...args)` in the set (waiting for room in a Pool). */
  protected abstract _spawn<A extends unknown[], R>(fn: Fn<A, R>, args: A): Promise<Spawned<Greenlet<Awaited<R>, A>>>;

  /** Called when a member leaves the set. */
  protected _left(_g: Greenlet<any, any>): void {}

  /** Makes `g` a member until it ends or is discarded. */
  protected _track(g: Greenlet<any, any>): void {
    if (this.#members.has(g)) return;
    if (g.dead) {
      this._left(g);
      return;
    }
    this.#members.add(g);
    this.#empty.clear();
    onEnd(g, this.#onMemberEnd);
  }

  #remove(g: Greenlet<any, any>): void {
    if (!this.#members.delete(g)) return;
    this._left(g);
    if (this.#members.size === 0) this.#empty.set();
  }

  /** The member greenlets. */
  get greenlets(): ReadonlySet<Greenlet<any, any>> {
    return this.#members;
  }

  /** Number of member greenlets (gevent's `len(group)`). */
  get length(): number {
    return this.#members.size;
  }

  /** True when `g` is a member. */
  has(g: Greenlet<any, any>): boolean {
    return this.#members.has(g);
  }

  /** Removes `g` from the set without killing it (in a Pool its slot is freed). */
  discard(g: Greenlet<any, any>): void {
    offEnd(g, this.#onMemberEnd);
    this.#remove(g);
  }

  /**
   * Resolves true once the set is empty, false after `timeout` seconds. With `raiseError`, as
   * gevent's, it still waits for the set to be empty (or the timeout), then rejects with the error
   * of the first of its members at the call that failed meanwhile (that failure is then not also
   * reported by the hub; later ones are).
   */
  async join(options: GroupJoinOptions = {}): Promise<boolean> {
    const ms = secondsToMs(options.timeout, 'options.timeout');
    const timeout = ms === undefined ? null : ms / 1000;
    if (!options.raiseError) return this.#empty.wait({ timeout });
    const raiser = { members: new Set(this.#members), failed: null as Greenlet<any, any> | null };
    this.#raisers.add(raiser);
    let empty: boolean;
    try {
      empty = await this.#empty.wait({ timeout });
    } finally {
      this.#raisers.delete(raiser);
    }
    if (raiser.failed !== null) throw raiser.failed.exception;
    return empty;
  }

  /**
   * Kills every member (with GreenletExit unless `exception` is given); with `block` (default)
   * resolves once they are dead. Never rejects.
   */
  async kill(options: KillOptions = {}): Promise<void> {
    for (const g of [...this.#members]) void g.kill({ ...options, block: false });
    if (options.block !== false) await new Promise((resolve) => rawSetImmediate(resolve));
  }

  /** Kills one member; as `greenlet.kill`. */
  killone(g: Greenlet<any, any>, options: KillOptions = {}): Promise<void> {
    return this.#members.has(g) ? g.kill(options) : Promise.resolve();
  }

  /**
   * Runs `fn(...args)` in a greenlet of the set and resolves with its result (rejects with its
   * error). Called from a member of this set, it runs `fn` directly, so a full Pool cannot
   * deadlock on itself, as in gevent.
   */
  async apply<A extends unknown[], R>(fn: Fn<A, R>, args: A = [] as unknown as A): Promise<Awaited<R>> {
    validateFunction(fn, 'fn');
    const current = getCurrent();
    if (current !== null && this.#members.has(current)) return await fn(...args);
    const { greenlet } = await this._spawn(fn, args);
    return greenlet.get();
  }

  /** Runs `fn(item)` for every item, in greenlets of the set, and resolves with the results in order. */
  async map<I, R>(fn: (item: I) => R | PromiseLike<R>, items: Iterable<I> | AsyncIterable<I>): Promise<Awaited<R>[]> {
    const out: Awaited<R>[] = [];
    for await (const value of this.imap(fn, items)) out.push(value);
    return out;
  }

  /**
   * Runs `fn(item)` for every item in greenlets of the set (a Pool starts them as room frees up)
   * and yields the results in the order of the items. A failure is thrown when its turn comes;
   * leaving the loop early, a failure, or the consumer being killed kills the greenlets still
   * running.
   *
   * @example
   * ```ts
   * import { Pool } from 'nodevent';
   * const fetchPage = async (url: string) => (await fetch(url)).text();
   * const urls = ['http://127.0.0.1:8080/a', 'http://127.0.0.1:8080/b'];
   * const pool = new Pool(4);
   * for await (const page of pool.imap(fetchPage, urls)) console.log(page.length);
   * ```
   */
  imap<I, R>(fn: (item: I) => R | PromiseLike<R>, items: Iterable<I> | AsyncIterable<I>): AsyncIterableIterator<Awaited<R>> {
    return this.#iterate(fn, items, true);
  }

  /** Like `imap`, but yields each result as soon as it is ready (completion order). */
  imapUnordered<I, R>(fn: (item: I) => R | PromiseLike<R>, items: Iterable<I> | AsyncIterable<I>): AsyncIterableIterator<Awaited<R>> {
    return this.#iterate(fn, items, false);
  }

  #iterate<I, R>(fn: (item: I) => R | PromiseLike<R>, items: Iterable<I> | AsyncIterable<I>, ordered: boolean): AsyncIterableIterator<Awaited<R>> {
    validateFunction(fn, 'fn');
    checkIterable(items, 'items');
    const started: Greenlet<Awaited<R>, [I]>[] = [];
    const finished: Greenlet<Awaited<R>, [I]>[] = [];
    const changed = new Set<Waiter<void>>();
    const notify = (): void => {
      for (const w of [...changed]) w.wake();
    };
    let consumed = 0;
    let closed = false;
    const consumer = currentScope();
    // The feeder spawns the jobs (waiting for room in a Pool); it belongs to the consumer's scope.
    // What stopped it is kept apart from how it ended: a spawn rejected by the pool's kill is a
    // GreenletExit, which would end the feeder as a success, and the results would look complete.
    let feedError: { error: unknown } | undefined;
    const feeder = spawnIn(consumer, async () => {
      try {
        for await (const item of items) {
          const { greenlet: g } = await this._spawn(fn, [item] as [I]);
          started.push(g);
          g.link((done) => {
            finished.push(done);
            notify();
          });
          notify();
        }
      } catch (error) {
        feedError = { error };
      }
    }, []);
    feeder.link(notify);
    const stop = (): void => {
      if (closed) return;
      closed = true;
      consumer?.disown(guard);
      void feeder.kill({ block: false });
      for (const g of started) if (!g.dead) void g.kill({ block: false });
    };
    const guard = { dispose: stop };
    consumer?.own(guard);
    const iterator: AsyncIterableIterator<Awaited<R>> = {
      async next(): Promise<IteratorResult<Awaited<R>>> {
        for (;;) {
          if (closed) return { done: true, value: undefined };
          const g = ordered ? started[consumed] : finished[consumed];
          if (g !== undefined && g.dead) {
            consumed++;
            if (!g.successful()) {
              stop();
              throw g.exception;
            }
            return { done: false, value: g.value as Awaited<R> };
          }
          if (feeder.dead && g === undefined && (ordered || finished.length === started.length)) {
            const failure = feedError ?? (feeder.successful() ? undefined : { error: feeder.exception });
            if (failure !== undefined) {
              stop();
              throw failure.error;
            }
            if (consumed >= started.length) {
              stop();
              return { done: true, value: undefined };
            }
          }
          await new Waiter<void>(changed, undefined, undefined, NOOP).promise;
        }
      },
      async return(): Promise<IteratorResult<Awaited<R>>> {
        stop();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
    return iterator;
  }
}

/**
 * A set of greenlets without a size limit, as gevent's `Group`: `spawn` starts at once and returns
 * the Greenlet; members leave the group when they end.
 *
 * @example
 * ```ts runnable
 * import { Group } from 'nodevent';
 * import { StreamServer, createConnection } from 'nodevent/net';
 * const server = new StreamServer(['127.0.0.1', 0], () => {});
 * await server.start();
 * const ping = async (port: number) => (await createConnection(['127.0.0.1', port])).close();
 * const group = new Group();
 * for (let i = 0; i < 3; i++) group.spawn(ping, server.serverPort);
 * await group.join(); // all three connected and closed
 * await server.stop();
 * ```
 */
export class Group extends GreenletSet {
  /** Creates, starts and adds a greenlet running `fn(...args)`. */
  spawn<A extends unknown[], R>(fn: Fn<A, R>, ...args: A): Greenlet<Awaited<R>, A> {
    validateFunction(fn, 'fn');
    const g = spawnIn(currentScope(), fn, args);
    this._track(g);
    return g;
  }

  /** Adds a greenlet (started or not) to the group. */
  add(g: Greenlet<any, any>): void {
    if (!(g instanceof Greenlet)) throw invalidArgType('greenlet', 'an instance of Greenlet', g);
    this._track(g);
  }

  protected _spawn<A extends unknown[], R>(fn: Fn<A, R>, args: A): Promise<Spawned<Greenlet<Awaited<R>, A>>> {
    return Promise.resolve({ greenlet: this.spawn(fn, ...args) });
  }

  /** Always false: a Group never fills. */
  full(): boolean {
    return false;
  }

  /** Always Infinity. */
  freeCount(): number {
    return Infinity;
  }

  /** Resolves Infinity at once. */
  async waitAvailable(_options: { timeout?: number | null } = {}): Promise<number> {
    return Infinity;
  }
}

function checkSize(value: unknown): number {
  if (typeof value !== 'number') throw invalidArgType('size', 'of type number', value);
  if (value !== Infinity && (!Number.isInteger(value) || value < 1)) {
    throw outOfRange('size', 'a positive integer or Infinity', value);
  }
  return value;
}

/**
 * A Group of at most `size` greenlets at once, as gevent's `Pool`: `await pool.spawn(fn)` waits
 * while the pool is full (backpressure) and resolves with `{ greenlet }`, the started Greenlet
 * (wrapped: a Greenlet is awaitable, and a promise of it would wait for its result). Waiting spawns are
 * started oldest first (higher `priority` first with `spawnWith`), on p-queue, which also gives
 * rate limiting (`interval`, `intervalCap`). A spawner killed while waiting leaves the line.
 * Killing the pool kills its greenlets and rejects the spawns still waiting.
 *
 * @example
 * ```ts
 * import { Pool } from 'nodevent';
 * const download = async (url: string) => (await fetch(url)).arrayBuffer();
 * const urls = Array.from({ length: 50 }, (_, i) => `http://127.0.0.1:8080/${i}`);
 * const pool = new Pool(10);
 * for (const url of urls) await pool.spawn(download, url); // never more than 10 at once
 * await pool.join();
 * ```
 */
export class Pool extends GreenletSet {
  /** The most greenlets running at once. */
  readonly size: number;
  #queue: PQueue;
  #slots = new Map<Greenlet<any, any>, () => void>();
  #waiting = new Set<AbortController>();
  #available = new Event();

  constructor(size: number, options: PoolOptions = {}) {
    super();
    this.size = checkSize(size);
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    const interval = secondsToMs(options.interval ?? 0, 'options.interval', false)!;
    const intervalCap = options.intervalCap ?? Infinity;
    if (typeof intervalCap !== 'number' || Number.isNaN(intervalCap) || (intervalCap !== Infinity && (!Number.isInteger(intervalCap) || intervalCap < 1))) {
      throw outOfRange('options.intervalCap', 'a positive integer or Infinity', intervalCap);
    }
    this.#queue = new PQueue({ concurrency: this.size, interval, intervalCap, strict: options.strict === true });
    this.#available.set();
  }

  /** Number of spawns waiting for room. */
  get waitingCount(): number {
    return this.#waiting.size;
  }

  /** How many more greenlets could start now. */
  freeCount(): number {
    return Math.max(0, this.size - this.#slots.size);
  }

  /** True when `spawn` would wait. */
  full(): boolean {
    return this.freeCount() === 0;
  }

  /** Resolves with `freeCount()` once it is above 0, or after `timeout` seconds (maybe 0). */
  async waitAvailable(options: { timeout?: number | null } = {}): Promise<number> {
    const ms = secondsToMs(options.timeout, 'options.timeout');
    if (this.full()) await this.#available.wait({ timeout: ms === undefined ? null : ms / 1000 });
    return this.freeCount();
  }

  /**
   * Waits for room, then creates, starts and adds a greenlet running `fn(...args)`; resolves with
   * it. Rejects with the kill's reason when the spawner is killed while waiting, or when the pool
   * is killed meanwhile.
   */
  spawn<A extends unknown[], R>(fn: Fn<A, R>, ...args: A): Promise<Spawned<Greenlet<Awaited<R>, A>>> {
    return this.spawnWith({}, fn, ...args);
  }

  /** `spawn` with options: `priority` orders the waiting spawns. */
  spawnWith<A extends unknown[], R>(options: SpawnOptions, fn: Fn<A, R>, ...args: A): Promise<Spawned<Greenlet<Awaited<R>, A>>> {
    try {
      validateFunction(fn, 'fn');
      const priority = options?.priority ?? 0;
      if (typeof priority !== 'number' || Number.isNaN(priority)) throw invalidArgType('options.priority', 'a number', priority);
      const scope = currentScope();
      return this.#occupy(() => spawnIn(scope, fn, args), priority);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Waits for room, then adds `g` (started or not) to the pool; it holds a slot until it ends. */
  add<G extends Greenlet<any, any>>(g: G): Promise<Spawned<G>> {
    if (!(g instanceof Greenlet)) return Promise.reject(invalidArgType('greenlet', 'an instance of Greenlet', g));
    if (this.has(g)) return Promise.resolve({ greenlet: g });
    return this.#occupy(() => g, 0);
  }

  protected _spawn<A extends unknown[], R>(fn: Fn<A, R>, args: A): Promise<Spawned<Greenlet<Awaited<R>, A>>> {
    return this.spawn(fn, ...args);
  }

  #occupy<G extends Greenlet<any, any>>(make: () => G, priority: number): Promise<Spawned<G>> {
    // Aborted by the waiter's kill (the task then leaves p-queue's line) or by the pool's kill.
    const controller = new AbortController();
    const waiting = abortable<Spawned<G>>(waitScope(), (resolve, reject) => {
      this.#waiting.add(controller);
      const task = (): Promise<void> => {
        this.#waiting.delete(controller);
        const g = make();
        resolve({ greenlet: g });
        return new Promise<void>((release) => {
          if (g.dead) return release();
          this.#slots.set(g, release);
          if (this.full()) this.#available.clear();
          this._track(g);
        });
      };
      this.#queue.add(task, { priority, signal: controller.signal }).catch((error: unknown) => {
        this.#waiting.delete(controller);
        reject(error);
      });
    }, (reason) => controller.abort(reason));
    // It rejects only with a kill (the spawner's or the pool's). gevent's `pool.spawn(fn)` in a loop,
    // its promise dropped, must not become an unhandled rejection when the pool is killed; a caller
    // that awaits it still sees the rejection.
    waiting.catch(() => {});
    return waiting;
  }

  protected override _left(g: Greenlet<any, any>): void {
    const release = this.#slots.get(g);
    if (release === undefined) return;
    this.#slots.delete(g);
    this.#available.set();
    release();
  }

  /** Kills every member and rejects the spawns still waiting for room (with the same exception). */
  override async kill(options: KillOptions = {}): Promise<void> {
    const exception = toException(options.exception, () => new GreenletExit());
    for (const controller of [...this.#waiting]) controller.abort(exception);
    await super.kill(options);
  }
}
