import { Queue } from './queue.js';

/**
 * A joinable queue that returns the most recently put item first, as gevent's `LifoQueue`.
 *
 * @example
 * ```ts runnable
 * import { LifoQueue } from 'nodevent';
 * const q = new LifoQueue<number>();
 * q.putNowait(1); q.putNowait(2);
 * console.log(q.getNowait()); // 2
 * ```
 */
export class LifoQueue<T> extends Queue<T> {
  #stack: T[] = [];
  protected override _size(): number {
    return this.#stack.length;
  }
  protected override _put(item: T): void {
    this.#stack.push(item);
  }
  protected override _get(): T {
    return this.#stack.pop()!;
  }
  protected override _peek(): T {
    return this.#stack[this.#stack.length - 1]!;
  }
  protected override _putBack(item: T): void {
    this.#stack.push(item);
  }
  protected override _clear(): void {
    this.#stack = [];
  }
}
