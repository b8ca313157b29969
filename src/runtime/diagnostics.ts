import { channel } from 'node:diagnostics_channel';
import type { Greenlet } from './greenlet.js';

// Every diagnostics_channel nodevent publishes, in one place: a tool finds the names here, and the
// runtime's own end-of-greenlet watchers subscribe here instead of linking.

/**
 * The diagnostics_channel channels every greenlet publishes to, for tools: `spawn` (in `start()`,
 * synchronously), `start` (its body begins), `end` (it is dead, any way), `killed` (it died of a
 * `GreenletExit`) and `failed` (it died of any other error). Each message is the greenlet. A
 * channel without subscribers costs one check per greenlet.
 *
 * @example
 * ```ts runnable
 * import { diagnostics, spawn } from 'nodevent';
 * const onFailed = (g: unknown) => console.error('greenlet failed', g);
 * diagnostics.failed.subscribe(onFailed);
 * spawn(() => { throw new Error('boom'); });
 * ```
 */
export const diagnostics = {
  spawn: channel('nodevent:greenlet:spawn'),
  start: channel('nodevent:greenlet:start'),
  end: channel('nodevent:greenlet:end'),
  killed: channel('nodevent:greenlet:killed'),
  failed: channel('nodevent:greenlet:failed'),
};

/**
 * The former name of {@link diagnostics}.
 *
 * @deprecated Use `diagnostics`: `channels` reads as the `Channel` queue.
 * @example
 * ```ts runnable
 * import { diagnostics } from 'nodevent';
 * diagnostics.spawn.subscribe((g) => console.log('spawned', g));
 * ```
 */
export const channels = diagnostics;

/**
 * The former home of the `killed` and `failed` channels.
 *
 * @deprecated Use `diagnostics.killed` and `diagnostics.failed`: the runtime publishes both
 * itself, with or without tracking.
 * @example
 * ```ts runnable
 * import { diagnostics } from 'nodevent';
 * diagnostics.killed.subscribe((g) => console.log('killed', g));
 * ```
 */
export const lifecycleChannels = { killed: diagnostics.killed, failed: diagnostics.failed };

// Runtime parts (groups, locals) that must learn when a greenlet ends without linking to it: a
// link counts as observing the greenlet, and then the hub would stop reporting its failure.
const watchers = new WeakMap<Greenlet<any, any>, Array<(g: Greenlet<any, any>) => void>>();
let subscribed = false;

function onGreenletEnd(message: unknown): void {
  const g = message as Greenlet<any, any>;
  const list = watchers.get(g);
  if (list === undefined) return;
  watchers.delete(g);
  for (const fn of list) fn(g);
}

/** Calls `fn(g)` synchronously when `g` ends (at once if it is dead). @internal */
export function onEnd<G extends Greenlet<any, any>>(g: G, fn: (g: G) => void): void {
  if (g.dead) {
    fn(g);
    return;
  }
  if (!subscribed) {
    subscribed = true;
    diagnostics.end.subscribe(onGreenletEnd);
  }
  const list = watchers.get(g);
  if (list === undefined) watchers.set(g, [fn as (g: Greenlet<any, any>) => void]);
  else list.push(fn as (g: Greenlet<any, any>) => void);
}

/** Forgets `fn` for `g`. @internal */
export function offEnd<G extends Greenlet<any, any>>(g: G, fn: (g: G) => void): void {
  const list = watchers.get(g);
  if (list === undefined) return;
  const at = list.indexOf(fn as (g: Greenlet<any, any>) => void);
  if (at !== -1) list.splice(at, 1);
  if (list.length === 0) watchers.delete(g);
}
