import { outsideScope } from '../../runtime/scope.js';
import { replace, restore } from '../../internal/registry.js';
import { watchModule, type WatchedFile } from './loader.js';

// What every client patch does the same way: wrap methods of a client's prototypes once (the
// registry keeps the originals for unpatching), watch the client's files as they load, undo all.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Method = (this: any, ...args: any[]) => unknown;

/**
 * The patch of one client library, registered in the registry under `name` ('pg', 'ioredis').
 */
export class ClientPatcher {
  readonly #patched = new Set<object>();
  #unwatch: (() => void) | undefined = undefined;
  constructor(readonly name: string) {}

  /**
   * Replaces each `proto[key]` with `make(original)`, once per prototype; false when `proto` was
   * patched already or lacks `required`.
   */
  wrap(proto: object, prefix: string, methods: Record<string, (original: Method) => Method>, required = Object.keys(methods)[0]!): boolean {
    const target = proto as Record<string, unknown>;
    if (this.#patched.has(proto) || typeof target[required] !== 'function') return false;
    this.#patched.add(proto);
    for (const [key, make] of Object.entries(methods)) {
      const original = target[key];
      if (typeof original === 'function') replace(this.name, proto, key, make(original as Method), `${prefix}.${key}`);
    }
    return true;
  }

  /** Patches `files` in the copies loaded now and later (once; see watchModule). */
  watch(files: WatchedFile[]): void {
    this.#unwatch ??= watchModule(files);
  }

  /** Stops watching and puts every original back; a later patch wraps the originals again. */
  unpatch(): void {
    this.#unwatch?.();
    this.#unwatch = undefined;
    restore(this.name);
    this.#patched.clear();
  }
}

/**
 * `original` made to run outside every scope: the client's upkeep (connecting, serving its
 * queue, giving a connection back) belongs to no greenlet.
 */
export function runsOutside(original: Method): Method {
  return function (this: unknown, ...args: unknown[]) {
    return outsideScope(() => original.apply(this, args));
  };
}

let poolOwn = false;

/**
 * `original` (a pool's `query`) marked so that the checkout it makes is the pool's own: the pool
 * gives that connection back itself once the statement ends, so a kill only cancels the statement.
 */
export function poolOwnCheckout(original: Method): Method {
  return function (this: unknown, ...args: unknown[]) {
    poolOwn = true;
    try {
      return original.apply(this, args);
    } finally {
      poolOwn = false;
    }
  };
}

/**
 * True when the checkout being made now comes from a `poolOwnCheckout` method; reading it clears it.
 */
export function takePoolOwnCheckout(): boolean {
  const value = poolOwn;
  poolOwn = false;
  return value;
}
