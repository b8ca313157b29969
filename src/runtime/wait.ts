import { abortable } from './abortable.js';
import { waitScope } from './scope.js';
import { rawClearTimeout, rawSetTimeout } from '../internal/timers.js';
import { invalidArgType, secondsToMs, toArray, validateCount, validateOptions } from '../internal/validate.js';

/**
 * Anything that can be waited on: greenlets, events, async results. `link(cb)` calls `cb(obj)`
 * once the object is ready (also when linked after that).
 *
 * @example
 * ```ts runnable
 * import { spawn, type Linkable } from 'nodevent';
 * const ready: Linkable = spawn(() => 1);
 * ready.link((g) => console.log('ready', g));
 * ```
 */
export interface Linkable {
  ready(): boolean;
  link(callback: (obj: any) => void): void;
  unlink(callback: (obj: any) => void): void;
}

/** @internal Runtime-only waiter hooks: cheaper than link() and never counted as user links. */
export const kAddWaiter = Symbol('nodevent.addWaiter');
/** @internal */
export const kRemoveWaiter = Symbol('nodevent.removeWaiter');
/** @internal Marks a greenlet observed without linking to it. */
export const kObserve = Symbol('nodevent.observe');

type Waitable = Linkable & { [kAddWaiter]?: (fn: (obj: any) => void) => void; [kRemoveWaiter]?: (fn: (obj: any) => void) => void };

function addWaiter(obj: Waitable, fn: (obj: any) => void): void {
  if (obj[kAddWaiter] !== undefined) obj[kAddWaiter](fn);
  else obj.link(fn);
}

function removeWaiter(obj: Waitable, fn: (obj: any) => void): void {
  if (obj[kRemoveWaiter] !== undefined) obj[kRemoveWaiter](fn);
  else obj.unlink(fn);
}

/** Options of `wait` and `iwait`. */
export interface WaitManyOptions {
  /** The most seconds to wait; undefined or null waits without limit. */
  timeout?: number | null;
  /** Stop once this many objects are ready. @default all of them */
  count?: number | null;
}

/** @internal Throws a TypeError naming `${name}[${index}]` unless `obj` has ready, link and unlink. */
export function checkLinkable(obj: unknown, index: number, name = 'objects'): asserts obj is Linkable {
  if (obj === null || typeof obj !== 'object' || typeof (obj as Linkable).link !== 'function' ||
    typeof (obj as Linkable).unlink !== 'function' || typeof (obj as Linkable).ready !== 'function') {
    throw invalidArgType(`${name}[${index}]`, 'an object with ready(), link() and unlink() (a Greenlet, Event or AsyncResult)', obj);
  }
}

/**
 * The type `iwait` yields for `T`: `T` itself. A greenlet is thenable, and `for await` types its
 * loop variable as `Awaited<…>` of what the iterator yields — the greenlet's value, although
 * `for await` over an async iterator never awaits what it is given. Hiding `then` keeps the
 * loop variable typed as the greenlet it is.
 *
 * @example
 * ```ts runnable
 * import { spawn, iwait, type Greenlet } from 'nodevent';
 * for await (const g of iwait([spawn(() => 1)])) {
 *   const greenlet: Greenlet<number> = g;
 *   console.log(greenlet.value);
 * }
 * ```
 */
export type Yielded<T> = T extends PromiseLike<unknown> ? T & { then: never } : T;

/**
 * Yields each object as it becomes ready, in completion order. Leaving the loop early unlinks
 * from the objects that were not ready yet; after `timeout` seconds the iteration ends. The wait
 * belongs to the caller: when the waiting greenlet is killed, `next()` rejects with the kill.
 *
 * @example
 * ```ts runnable
 * import { spawn, iwait, sleep } from 'nodevent';
 * const jobs = [3, 1, 2].map((n) => spawn(async () => { await sleep(n / 10); return n; }));
 * for await (const g of iwait(jobs)) console.log(g.value); // 1, 2, 3
 * ```
 */
export function iwait<T extends Linkable>(objects: Iterable<T>, options: WaitManyOptions = {}): AsyncIterableIterator<Yielded<T>> {
  const list = toArray(objects, 'objects');
  validateOptions(options);
  list.forEach((obj, index) => checkLinkable(obj, index));
  const ms = secondsToMs(options.timeout, 'options.timeout');
  const count = Math.min(validateCount(options.count, 'options.count') ?? list.length, list.length);
  const readyQueue: T[] = [];
  let yielded = 0;
  let timedOut = false;
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let linked = false;
  const onReady = (obj: T): void => {
    readyQueue.push(obj);
    wake?.();
  };
  const cleanup = (): void => {
    if (timer !== undefined) rawClearTimeout(timer);
    timer = undefined;
    if (linked) for (const obj of list) removeWaiter(obj, onReady);
    linked = false;
  };
  const start = (): void => {
    linked = true;
    for (const obj of list) addWaiter(obj, onReady);
    if (ms !== undefined) {
      timer = rawSetTimeout(() => {
        timedOut = true;
        wake?.();
      }, ms);
    }
  };
  const iterator: AsyncIterableIterator<T> = {
    async next(): Promise<IteratorResult<T>> {
      if (yielded >= count) {
        cleanup();
        return { done: true, value: undefined };
      }
      if (!linked && !timedOut) start();
      if (readyQueue.length === 0 && !timedOut) {
        const scope = waitScope();
        if (scope?.aborted) {
          cleanup();
          yielded = count;
          throw scope.reason;
        }
        try {
          while (readyQueue.length === 0 && !timedOut) {
            await abortable<void>(scope, (resolve) => {
              wake = resolve;
            }, () => {
              cleanup();
              yielded = count;
            });
          }
        } finally {
          wake = undefined;
        }
      }
      if (readyQueue.length === 0) {
        cleanup();
        return { done: true, value: undefined };
      }
      yielded++;
      if (yielded >= count) cleanup();
      return { done: false, value: readyQueue.shift()! };
    },
    async return(): Promise<IteratorResult<T>> {
      cleanup();
      yielded = count;
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  // The objects are yielded as they are; only their static type hides `then` (see Yielded).
  return iterator as AsyncIterableIterator<Yielded<T>>;
}

/**
 * Waits until `count` of the objects (all by default) are ready or `timeout` seconds pass, and
 * resolves with the ready ones in completion order. Never rejects on timeout; rejects only when
 * the waiting greenlet is killed (or its own deadline passes), with that reason.
 *
 * @example
 * ```ts runnable
 * import { spawn, wait } from 'nodevent';
 * import { sleep } from 'nodevent';
 * const task1 = () => sleep(0.1);
 * const task2 = () => sleep(3);
 * const done = await wait([spawn(task1), spawn(task2)], { timeout: 2, count: 1 }); // [the first]
 * ```
 */
export function wait<T extends Linkable>(objects: Iterable<T>, options: WaitManyOptions = {}): Promise<T[]> {
  const list = toArray(objects, 'objects');
  validateOptions(options);
  list.forEach((obj, index) => checkLinkable(obj, index));
  const ms = secondsToMs(options.timeout, 'options.timeout');
  const count = Math.min(validateCount(options.count, 'options.count') ?? list.length, list.length);
  // No list of the pending ones: a wait over many greenlets pays one slot per greenlet, in `done`.
  const done: T[] = [];
  for (let i = 0; i < list.length; i++) if (list[i]!.ready()) done.push(list[i]!);
  if (done.length >= count || done.length === list.length) return Promise.resolve(done.slice(0, Math.max(count, 0)));
  let timer: NodeJS.Timeout | undefined;
  let finish: () => void;
  const onReady = (obj: T): void => {
    done.push(obj);
    if (done.length === count) finish();
  };
  const stop = (): void => {
    if (timer !== undefined) rawClearTimeout(timer);
    // Those that were ready at the start, or finished since, hold no waiter: a no-op for them.
    for (let i = 0; i < list.length; i++) removeWaiter(list[i]!, onReady);
  };
  return abortable<T[]>(waitScope(), (resolve) => {
    finish = (): void => {
      stop();
      resolve(done);
    };
    for (let i = 0; i < list.length; i++) if (!list[i]!.ready()) addWaiter(list[i]!, onReady);
    if (ms !== undefined) timer = rawSetTimeout(finish, ms);
  }, stop);
}
