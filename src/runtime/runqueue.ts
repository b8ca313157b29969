import { AsyncLocalStorage, AsyncResource, executionAsyncResource } from 'node:async_hooks';
import { scopeStorage } from './scope.js';

// The run queue: where a started greenlet waits for its body to begin (gevent's hub runs it from
// the loop's callbacks; here a microtask after the code that started it).

/** What the run queue starts: a greenlet, through its `_run`. @internal */
export interface Runnable {
  _run(): void;
}

// Greenlets started in one synchronous stretch begin together in a single microtask (up to
// DRAIN_SLICE of them, see below): the body of a spawned greenlet never runs inside spawn(), and a
// batch costs two queueMicrotask calls (see drainSoon).
//
// Each body runs with its greenlet entered as the current scope (`enterWith`) inside its batch's
// context, which one AsyncResource per batch captures and brings back after every body without
// allocating. `AsyncLocalStorage.run` per body cost twice as much on Node 24+: it enters a new
// context frame and then a second one to go back, and each frame is a Map copied from the current
// one; those frames were the largest single cost of a greenlet. Each body still gets its own
// frame (its batch's context plus its greenlet), so its continuations see it.
//
// A batch holds only greenlets whose spawners ran in the same context (the current scope aside):
// a body sees the other AsyncLocalStorage values (a tracing span, a request id) of the code that
// started it, as every Node callback sees its creator's, also when two request handlers spawn in
// one turn of the loop.
// Whoever starts a greenlet in another context than the open batch's opens a new batch; see
// `sameContext` for how that is told cheaply and exactly.
//
// A long queue runs in slices of DRAIN_SLICE bodies, each slice its own microtask: what the bodies
// of one slice queued (their continuations, their results' adoption) runs before the next slice
// starts, so their promises, frames and closures die young instead of all staying alive until
// the last of many thousand bodies has started, when the collector has already copied them twice.
//
// The queue is a list of such batches, so a long one costs one slot per greenlet and is never copied.
interface Batch {
  readonly context: AsyncResource;
  readonly greenlets: Runnable[];
  // Node 20/22 only (see sameContext): the storages' symbols on `context`, and how many storages
  // had been enabled when it was made.
  readonly stores: symbol[] | undefined;
  readonly enabled: number;
  // Node 24+ only: the frame `context` captured, and its values (see frameEntries).
  readonly frame: unknown;
  readonly entries: unknown[] | undefined;
}
const batches: Batch[] = [];
let drainScheduled = false;
const DRAIN_SLICE = 256;
// A batch starts two microtasks after it was queued, not one: a greenlet woken before the spawn
// (a permit released, an item put, a result set) resumes first, as in gevent, where both wait in
// the hub's one FIFO line of callbacks. Its wake-up takes two microtasks: the primitive's own
// async method resuming after its waiter's promise, then the caller's `await` of that method.
function drainSoon(): void {
  queueMicrotask(drain);
}
function drain(): void {
  const batch = batches.shift()!;
  const { context, greenlets } = batch;
  try {
    for (let i = 0; i < greenlets.length; i++) {
      const g = greenlets[i]!;
      context.runInAsyncScope(g._run, g);
    }
  } finally {
    // Made with requireManualDestroy (no GC tracking per batch): async_hooks users see it end here.
    context.emitDestroy();
    if (batches.length > 0) queueMicrotask(drainSoon);
    else drainScheduled = false;
  }
}

/**
 * Queues a greenlet's start: its `_run` runs in a microtask, after the code that started it,
 * in that code's context (its other AsyncLocalStorage values).
 * @internal
 */
export function enqueue(g: Runnable): void {
  const last = batches[batches.length - 1];
  if (last !== undefined && last.greenlets.length < DRAIN_SLICE && sameContext(last)) {
    last.greenlets.push(g);
  } else {
    batches.push(openBatch(g));
  }
  if (!drainScheduled) {
    drainScheduled = true;
    queueMicrotask(drainSoon);
  }
}

const BATCH_OPTIONS = Object.freeze({ requireManualDestroy: true });

// What an AsyncResource captured of its creator's context, read back through the symbols Node
// keeps it under (they are not exported, but each is an own property of every AsyncResource).
// Node 24+ keeps every AsyncLocalStorage value in one immutable context frame: the same frame is
// exactly the same context. Node 20 and 22 (without --experimental-async-context-frame) copy each
// storage's value onto every new resource under that storage's own `kResourceStore` symbol; the
// spawner's values are those on the resource now executing.
const probeStorage = new AsyncLocalStorage<number>();
const probe = probeStorage.run(1, () => new AsyncResource('nodevent:probe', BATCH_OPTIONS));
probe.emitDestroy();
const frameSymbol = Object.getOwnPropertySymbols(probe).find(
  (symbol) => symbol.description === 'context_frame' && (probe as unknown as Record<symbol, unknown>)[symbol] !== undefined,
);
// On Node 20 and 22 an enabled storage is copied onto every new resource: this one must not be.
probeStorage.disable();

// Node 20/22 copy the values of the storages enabled when a resource is made, so a storage first
// enabled after a batch opened is the one change its symbols cannot show: counting enablements
// tells it without listing the symbols of the running resource on every spawn, which cost half a
// microsecond per greenlet. `_enable` is the method every run/enterWith of those lines calls;
// where it is missing the symbols are listed each time instead.
let storagesEnabled = 0;
const storageProto = AsyncLocalStorage.prototype as unknown as { _enable?: () => void };
const countEnablements = frameSymbol === undefined && typeof storageProto._enable === 'function';
if (countEnablements) {
  const enable = storageProto._enable!;
  storageProto._enable = function (this: { enabled?: boolean }): void {
    if (this.enabled !== true) storagesEnabled++;
    enable.call(this);
  };
}

// The current scope is not compared: every body enters its own greenlet's scope first, so the
// spawner's scope never reaches it. Comparing it would open a batch for every greenlet when many
// greenlets each spawn one (a fan-out), at twice the cost per spawn.
const scopeSymbol = (scopeStorage as unknown as { kResourceStore?: unknown }).kResourceStore;

function storeSymbols(resource: object): symbol[] {
  return Object.getOwnPropertySymbols(resource).filter((symbol) => symbol.description === 'kResourceStore' && symbol !== scopeSymbol);
}

/** The part of a context frame (Node 24+) that matters: its size without the current scope. */
interface Frame {
  readonly size: number;
  has(key: unknown): boolean;
  get(key: unknown): unknown;
  keys(): Iterable<unknown>;
}

function sizeBesidesScope(frame: Frame | undefined): number {
  return frame === undefined ? 0 : frame.size - (frame.has(scopeStorage) ? 1 : 0);
}

/** A frame's values (Node 24+), the current scope's aside, as keys and values in turn. */
function frameEntries(frame: Frame | undefined): unknown[] {
  const entries: unknown[] = [];
  if (frame !== undefined) for (const key of frame.keys()) if (key !== scopeStorage) entries.push(key, frame.get(key));
  return entries;
}

/** True when `frame` holds the values of `entries`, the current scope's aside. */
function sameFrame(frame: Frame | undefined, entries: unknown[]): boolean {
  if (sizeBesidesScope(frame) !== entries.length / 2) return false;
  for (let i = 0; i < entries.length; i += 2) {
    if (!frame!.has(entries[i]) || frame!.get(entries[i]) !== entries[i + 1]) return false;
  }
  return true;
}

function openBatch(g: Runnable): Batch {
  const context = new AsyncResource('nodevent:batch', BATCH_OPTIONS);
  if (frameSymbol === undefined) {
    return { context, greenlets: [g], stores: storeSymbols(context), enabled: storagesEnabled, frame: undefined, entries: undefined };
  }
  const frame = (context as unknown as Record<symbol, unknown>)[frameSymbol];
  return { context, greenlets: [g], stores: undefined, enabled: 0, frame, entries: frameEntries(frame as Frame | undefined) };
}

/** True when the code running now sees exactly the AsyncLocalStorage values `batch` captured. */
const sameContext: (batch: Batch) => boolean = frameSymbol !== undefined
  ? (batch) => {
    // A frame is read only through a new resource; it is garbage at once when the frame matches.
    const now = new AsyncResource('nodevent:context', BATCH_OPTIONS);
    const frame = (now as unknown as Record<symbol, unknown>)[frameSymbol];
    // Its init reached any async_hooks listener: so must its end.
    now.emitDestroy();
    return frame === batch.frame || sameFrame(frame as Frame | undefined, batch.entries!);
  }
  : (batch) => {
    const now = executionAsyncResource() as Record<symbol, unknown>;
    const then = batch.context as unknown as Record<symbol, unknown>;
    const stores = countEnablements && batch.enabled === storagesEnabled ? batch.stores! : storeSymbols(now).concat(batch.stores!);
    for (let i = 0; i < stores.length; i++) {
      const symbol = stores[i]!;
      if (now[symbol] !== then[symbol]) return false;
    }
    return true;
  };
