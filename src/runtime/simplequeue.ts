import { Empty, Full, ShutDown, untilShutDown } from './queue-errors.js';
import { rawSetImmediate } from '../internal/timers.js';
import { invalidArgType, outOfRange, secondsToMs } from '../internal/validate.js';
import { Waiter, first } from './waiter.js';

/** Options of `put`. */
export interface PutOptions {
  /** Wait for room when the queue is full; false raises `Full` at once. @default true */
  block?: boolean;
  /** With `block`, the most seconds to wait before raising `Full`; null waits without limit. */
  timeout?: number | null;
}

/** Options of `get` and `peek`. */
export interface GetOptions {
  /** Wait for an item when the queue is empty; false raises `Empty` at once. @default true */
  block?: boolean;
  /** With `block`, the most seconds to wait before raising `Empty`; null waits without limit. */
  timeout?: number | null;
}

/** Options of `shutdown`. */
export interface ShutdownOptions {
  /** Drop the queued items too (and count them as done), so getters raise `ShutDown` at once. @default false */
  immediate?: boolean;
}

const NONE: unique symbol = Symbol('none');

// A Channel's put returns once the getter that took the item ran on until it next waits (gevent
// switches to it): every continuation queued by the hand-over runs before a turn of the loop ends.
function afterGetter(): Promise<void> {
  return new Promise<void>((resolve) => rawSetImmediate(resolve));
}

function checkMaxsize(value: unknown): number {
  if (value === undefined || value === null) return Infinity;
  if (typeof value !== 'number') throw invalidArgType('maxsize', 'of type number', value);
  if (value !== Infinity && (!Number.isInteger(value) || value < 1)) {
    throw outOfRange('maxsize', 'a positive integer or Infinity', value);
  }
  return value;
}

function waitMs(options: { block?: boolean; timeout?: number | null }): number | undefined {
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  const ms = secondsToMs(options.timeout, 'options.timeout');
  return options.block === false ? 0 : ms;
}

/**
 * A FIFO queue of items between greenlets, as gevent's `SimpleQueue` (not joinable). `maxsize`
 * (a positive integer; unbounded by default) makes `put` wait for room. Items go straight to the
 * oldest waiting getter; waiting putters get room in the order they came. A getter killed while it
 * waits takes nothing: the item it was about to receive goes to the next getter or back to the
 * head of the queue. `for await (const item of queue)` yields until the queue is shut down and empty.
 *
 * @example
 * ```ts runnable
 * import { SimpleQueue, spawn } from 'nodevent';
 * const q = new SimpleQueue<string>(10);
 * spawn(async () => { for await (const line of q) console.log(line); });
 * await q.put('hello');
 * q.shutdown();
 * ```
 */
export class SimpleQueue<T> implements AsyncIterable<T> {
  #maxsize: number;
  // Getters and peekers carry when they came (`data`): an item handed straight to a getter is seen
  // by the peekers that came before it, as gevent wakes them in one line.
  #getters = new Set<Waiter<T, number>>();
  #putters = new Set<Waiter<void, T>>();
  #peekers = new Set<Waiter<T | typeof NONE, number>>();
  #arrivals = 0;
  #shutdown = false;
  // A deque on an array: `head` moves forward instead of shifting every element.
  #items: T[] = [];
  #head = 0;

  constructor(maxsize?: number | null) {
    this.#maxsize = checkMaxsize(maxsize);
  }

  /** The most items the queue holds (Infinity when unbounded). */
  get maxsize(): number {
    return this.#maxsize;
  }

  // Storage, overridden by LifoQueue and PriorityQueue.
  protected _size(): number {
    return this.#items.length - this.#head;
  }
  protected _put(item: T): void {
    this.#items.push(item);
  }
  protected _get(): T {
    const item = this.#items[this.#head]!;
    this.#items[this.#head++] = undefined as T;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
  protected _peek(): T {
    return this.#items[this.#head]!;
  }
  /** Puts back an item a killed getter did not take: it was the oldest, so it goes first. */
  protected _putBack(item: T): void {
    if (this.#head > 0) this.#items[--this.#head] = item;
    else this.#items.unshift(item);
  }
  protected _clear(): void {
    this.#items = [];
    this.#head = 0;
  }
  /** How many items fit before `put` waits (0 for a Channel). */
  protected _capacity(): number {
    return this.#maxsize;
  }
  /** True for a Channel: `put` returns only after the getter that took the item has run. */
  protected _rendezvous(): boolean {
    return false;
  }
  /** Called once per item accepted (Queue counts unfinished tasks). */
  protected _accepted(): void {}
  /** Called once per item dropped by `shutdown({ immediate: true })`. */
  protected _dropped(): void {}

  /** Number of items in the queue. */
  qsize(): number {
    return this._size();
  }

  /** True when the queue holds no item. */
  empty(): boolean {
    return this._size() === 0;
  }

  /** True when `put` would wait. */
  full(): boolean {
    return this._size() >= this._capacity() && this.#getters.size === 0;
  }

  /** True once `shutdown()` was called. */
  get isShutdown(): boolean {
    return this.#shutdown;
  }

  /** Waiting putters minus waiting getters, as gevent's `Channel.balance`. */
  get balance(): number {
    return this.#putters.size - this.#getters.size;
  }

  /** Numbers of greenlets waiting in `get`, `put` and `peek`. */
  get waiting(): { getters: number; putters: number; peekers: number } {
    return { getters: this.#getters.size, putters: this.#putters.size, peekers: this.#peekers.size };
  }

  /** Hands `item` to the oldest getter or stores it; false when there is no room. */
  #offer(item: T): boolean {
    const getter = first(this.#getters);
    if (getter !== undefined) {
      this.#wakePeekers(item, getter.data);
      getter.wake(item);
    } else if (this._size() < this._capacity()) {
      this._put(item);
      this.#wakePeekers();
    } else {
      return false;
    }
    this._accepted();
    return true;
  }

  /** Lets waiting putters in, oldest first, while there is room. */
  #admitPutters(): void {
    for (let putter = first(this.#putters); putter !== undefined; putter = first(this.#putters)) {
      if (this.#getters.size === 0 && this._size() >= this._capacity()) return;
      putter.wake();
      this.#offer(putter.data);
    }
  }

  /** Takes the next item (from the store, else from a waiting putter), or NONE. */
  #take(): T | typeof NONE {
    if (this._size() > 0) {
      const item = this._get();
      this.#admitPutters();
      return item;
    }
    const putter = first(this.#putters);
    if (putter === undefined) return NONE;
    putter.wake();
    this._accepted();
    return putter.data;
  }

  #giveBack(item: T): void {
    const getter = first(this.#getters);
    if (getter !== undefined) {
      getter.wake(item);
    } else {
      this._putBack(item);
      this.#wakePeekers();
    }
  }

  /**
   * Wakes the waiting peekers to look again; with `item`, those that came before the getter
   * (arrival `before`) it goes to straight away, which see that item.
   */
  #wakePeekers(item: T | typeof NONE = NONE, before = Infinity): void {
    for (const peeker of [...this.#peekers]) {
      if (item === NONE) peeker.wake(NONE);
      else if (peeker.data < before) peeker.wake(item);
    }
  }

  /**
   * Adds `item`, waiting for room while the queue is full (oldest putter first). Rejects with
   * `Full` when there is no room and `block` is false or `timeout` seconds pass, with `ShutDown`
   * after `shutdown()`, and with the kill's reason when the waiting greenlet is killed (the item
   * is then not added).
   */
  async put(item: T, options: PutOptions = {}): Promise<void> {
    const ms = waitMs(options);
    if (this.#shutdown) throw new ShutDown();
    if (this.#putters.size === 0 && this.#offer(item)) {
      if (this._rendezvous()) await afterGetter();
      return;
    }
    if (ms === 0) throw new Full();
    await new Waiter<void, T>(this.#putters, item, ms, (w) => w.fail(new Full())).promise;
    if (this._rendezvous()) await afterGetter();
  }

  /** Adds `item` at once or throws `Full` (or `ShutDown`). */
  putNowait(item: T): void {
    if (this.#shutdown) throw new ShutDown();
    if (this.#putters.size > 0 || !this.#offer(item)) throw new Full();
  }

  /**
   * Removes and returns the next item, waiting while the queue is empty (oldest getter first).
   * Rejects with `Empty` when nothing comes and `block` is false or `timeout` seconds pass, with
   * `ShutDown` once the queue is shut down and empty, and with the kill's reason when the waiting
   * greenlet is killed: the item it would have taken goes to the next getter.
   */
  async get(options: GetOptions = {}): Promise<T> {
    const ms = waitMs(options);
    const item = this.#getters.size === 0 ? this.#take() : NONE;
    if (item !== NONE) return item;
    if (this.#shutdown) throw new ShutDown();
    if (ms === 0) throw new Empty();
    const waiter = new Waiter<T, number>(this.#getters, this.#arrivals++, ms, (w) => w.fail(new Empty()));
    const got = await waiter.promise;
    // Killed between the hand-over and this line: the item was never the greenlet's to keep.
    if (waiter.scope?.aborted) {
      this.#giveBack(got);
      throw waiter.scope.reason;
    }
    return got;
  }

  /** Removes and returns the next item at once, or throws `Empty` (`ShutDown` once shut down and empty). */
  getNowait(): T {
    const item = this.#getters.size === 0 ? this.#take() : NONE;
    if (item !== NONE) return item;
    throw this.#shutdown ? new ShutDown() : new Empty();
  }

  /**
   * Returns the next item without removing it, waiting while the queue is empty. An item handed
   * straight to a waiting getter is seen by the peekers that came before that getter, as in gevent.
   * Rejects as `get` does.
   */
  async peek(options: GetOptions = {}): Promise<T> {
    const ms = waitMs(options);
    const deadline = ms === undefined ? undefined : Date.now() + ms;
    while (this._size() === 0) {
      if (this.#shutdown) throw new ShutDown();
      const left = deadline === undefined ? undefined : Math.max(0, deadline - Date.now());
      if (left === 0) throw new Empty();
      const seen = await new Waiter<T | typeof NONE, number>(this.#peekers, this.#arrivals++, left, (w) => w.fail(new Empty())).promise;
      if (seen !== NONE) return seen;
    }
    return this._peek();
  }

  /** The next item without removing it, or throws `Empty`. */
  peekNowait(): T {
    if (this._size() === 0) throw this.#shutdown ? new ShutDown() : new Empty();
    return this._peek();
  }

  /**
   * Shuts the queue down: `put` rejects with `ShutDown` from now on (waiting putters too, their
   * items are not added); getters drain what is left, then reject with `ShutDown`, which ends
   * async iteration. With `immediate` the items left are dropped (and counted as done for `join`).
   */
  shutdown(options: ShutdownOptions = {}): void {
    this.#shutdown = true;
    if (options.immediate) {
      while (this._size() > 0) {
        this._get();
        this._dropped();
      }
      this._clear();
    }
    const error = new ShutDown();
    for (const putter of [...this.#putters]) putter.fail(error);
    if (this._size() === 0) {
      for (const getter of [...this.#getters]) getter.fail(error);
      for (const peeker of [...this.#peekers]) peeker.fail(error);
    }
  }

  /** Yields items as `get()` returns them, until the queue is shut down and empty. */
  [Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    return untilShutDown(() => this.get());
  }
}
