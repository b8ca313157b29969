import { getCurrent, type Greenlet } from './greenlet.js';
import { onEnd } from './diagnostics.js';

// Per greenlet, the values of every Local it touched. An entry is deleted when the greenlet ends;
// the outer WeakMap also lets it go if the greenlet object is collected first. The inner maps are
// weak too: a Local nobody references any more takes its values with it, even while the greenlet
// runs, as gevent's locals do.
const perGreenlet = new WeakMap<Greenlet<any, any>, WeakMap<Local<any>, unknown>>();
// Code outside every greenlet shares one slot, as gevent's main greenlet.
const mainSlot = new WeakMap<Local<any>, unknown>();
const forget = (g: Greenlet<any, any>): void => {
  perGreenlet.delete(g);
};

function slots(create: boolean): WeakMap<Local<any>, unknown> | undefined {
  const g = getCurrent();
  if (g === null) return mainSlot;
  let map = perGreenlet.get(g);
  if (map === undefined && create) {
    map = new WeakMap();
    perGreenlet.set(g, map);
    if (!g.dead) onEnd(g, forget);
  }
  return map;
}

/**
 * One value per greenlet: each greenlet sees its own `value`, initialised by `init()` the first
 * time it reads it; the greenlet's value is released when the greenlet ends. Nested scopes
 * (`withTimeout`) share their greenlet's value; code outside greenlets shares one value.
 *
 * @example
 * ```ts runnable
 * import { Local, spawn } from 'nodevent';
 * const requestId = new Local<string>(() => 'none');
 * // Only this greenlet sees r1; every other one still reads 'none'.
 * spawn(() => { requestId.value = 'r1'; });
 * ```
 */
export class Local<T> {
  #init: (() => T) | undefined;

  constructor(init?: () => T) {
    if (init !== undefined && typeof init !== 'function') {
      throw new TypeError(`The "init" argument must be of type function. Received ${typeof init}`);
    }
    this.#init = init;
  }

  /** The current greenlet's value (from `init()` on first read, else undefined). */
  get value(): T {
    const map = slots(this.#init !== undefined)!;
    if (map?.has(this)) return map.get(this) as T;
    if (this.#init === undefined) return undefined as T;
    const value = this.#init();
    map.set(this, value);
    return value;
  }

  set value(value: T) {
    slots(true)!.set(this, value);
  }

  /** True when the current greenlet has a value (set, or initialised by a read). */
  has(): boolean {
    return slots(false)?.has(this) ?? false;
  }

  /** Forgets the current greenlet's value. */
  delete(): void {
    slots(false)?.delete(this);
  }
}

/**
 * gevent's `local()`: an object whose properties are per greenlet. Each greenlet starts from a
 * fresh object (`init()`'s result, or empty) and sees only its own properties, which are released
 * when it ends.
 *
 * @example
 * ```ts runnable
 * import { local, spawn } from 'nodevent';
 * const ctx = local<{ user?: string }>();
 * spawn(() => { ctx.user = 'ann'; });
 * spawn(() => console.log(ctx.user)); // undefined: another greenlet
 * ```
 */
export function local<T extends object = Record<PropertyKey, unknown>>(init?: () => T): T {
  const slot = new Local<T>(init ?? (() => ({}) as T));
  const target = () => slot.value as object;
  return new Proxy({} as T, {
    get: (_t, key) => Reflect.get(target(), key),
    set: (_t, key, value) => Reflect.set(target(), key, value),
    has: (_t, key) => Reflect.has(target(), key),
    deleteProperty: (_t, key) => Reflect.deleteProperty(target(), key),
    ownKeys: () => Reflect.ownKeys(target()),
    getOwnPropertyDescriptor: (_t, key) => {
      const desc = Reflect.getOwnPropertyDescriptor(target(), key);
      if (desc !== undefined) desc.configurable = true;
      return desc;
    },
    defineProperty: (_t, key, desc) => Reflect.defineProperty(target(), key, desc),
  });
}
