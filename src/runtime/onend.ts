import { channels, type Greenlet } from './greenlet.js';

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
    channels.end.subscribe(onGreenletEnd);
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
