import { Greenlet } from './greenlet.js';

// gevent's module-level spawn functions: a Greenlet made and started in one call.

/**
 * Creates a greenlet running `fn(...args)` and starts it on a later tick.
 *
 * @example
 * ```ts
 * import { spawn } from 'nodevent';
 * const g = spawn(async (url: string) => (await fetch(url)).status, 'http://127.0.0.1:8080/');
 * console.log(await g);
 * ```
 */
export function spawn<T, A extends unknown[]>(fn: (...args: A) => T | PromiseLike<T>, ...args: A): Greenlet<Awaited<T>, A> {
  return new Greenlet(fn as (...args: A) => Awaited<T> | PromiseLike<Awaited<T>>, ...args).start();
}

/**
 * Creates a greenlet that starts after `seconds`.
 *
 * @example
 * ```ts runnable
 * import { spawnLater } from 'nodevent';
 * const g = spawnLater(0.5, () => 'half a second later');
 * console.log(await g);
 * ```
 */
export function spawnLater<T, A extends unknown[]>(seconds: number, fn: (...args: A) => T | PromiseLike<T>, ...args: A): Greenlet<Awaited<T>, A> {
  return new Greenlet(fn as (...args: A) => Awaited<T> | PromiseLike<Awaited<T>>, ...args).startLater(seconds);
}
