import { Queue } from './queue.js';
import { invalidArgType } from '../internal/validate.js';

/** Options of `PriorityQueue`. */
export interface PriorityQueueOptions<T> {
  /**
   * Orders items: negative when `a` comes out first. By default numbers, strings and arrays
   * (compared element by element, like Python tuples: `[priority, item]`) in ascending order.
   */
  compare?: (a: T, b: T) => number;
}

/**
 * Ascending order on numbers, strings, bigints, and arrays of those compared element-wise.
 *
 * @example
 * ```ts runnable
 * import { defaultCompare } from 'nodevent';
 * defaultCompare([1, 'b'], [1, 'a']); // 1: equal priorities, then the items
 * ```
 */
export function defaultCompare(a: unknown, b: unknown): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const c = defaultCompare(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

/**
 * A joinable queue that returns the smallest item first (a binary heap), as gevent's
 * `PriorityQueue`. Put `[priority, item]` pairs, or pass `compare`.
 *
 * @example
 * ```ts runnable
 * import { PriorityQueue } from 'nodevent';
 * const q = new PriorityQueue<[number, string]>();
 * q.putNowait([2, 'later']); q.putNowait([1, 'first']);
 * console.log(q.getNowait()); // [1, 'first']
 * ```
 */
export class PriorityQueue<T> extends Queue<T> {
  #heap: T[] = [];
  #compare: (a: T, b: T) => number;

  constructor(maxsize?: number | null, options: PriorityQueueOptions<T> = {}) {
    super(maxsize);
    if (options.compare !== undefined && typeof options.compare !== 'function') {
      throw invalidArgType('options.compare', 'of type function', options.compare);
    }
    this.#compare = options.compare ?? defaultCompare;
  }

  protected override _size(): number {
    return this.#heap.length;
  }
  protected override _put(item: T): void {
    const heap = this.#heap;
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.#compare(heap[i]!, heap[parent]!) >= 0) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }
  protected override _get(): T {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && this.#compare(heap[l]!, heap[m]!) < 0) m = l;
        if (r < heap.length && this.#compare(heap[r]!, heap[m]!) < 0) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  }
  protected override _peek(): T {
    return this.#heap[0]!;
  }
  protected override _putBack(item: T): void {
    this._put(item);
  }
  protected override _clear(): void {
    this.#heap = [];
  }
}
