import { performance } from 'node:perf_hooks';
import { diagnostics } from './diagnostics.js';
import { Greenlet, getCurrent } from './greenlet.js';

/** Options of `trackGreenlets`. */
export interface TrackOptions {
  /**
   * Capture the stack of every `spawn` (a few microseconds per greenlet; frames are only
   * formatted when a report asks for them).
   * @default true
   */
  captureStack?: boolean;
}

/** A handle on greenlet tracking; tracking lasts while any handle is held. */
export interface Tracking {
  /** Gives the handle back; the last one to go unsubscribes from every channel. Idempotent. */
  stop(): void;
}

/** What `runInfo()` knows of one live greenlet. */
export interface GreenletInfo {
  greenlet: Greenlet;
  name: string;
  /** `scheduled` (will start on this tick, or when its spawnLater delay ends), `running` (its code called runInfo) or `suspended` (awaiting). */
  state: 'scheduled' | 'running' | 'suspended';
  /** Seconds since it was spawned; null for an ancestor spawned before tracking began. */
  age: number | null;
  /** Where `spawn`/`start` was called, or null (stack capture off, or spawned before tracking). */
  spawnStack: string | null;
  /** What it waits on, when known: for now only `start` for a scheduled greenlet. */
  waitingOn: string | null;
  /** How many resources (I/O, timers, child greenlets) its scope owns. */
  owned: number;
  /** False for a live ancestor that was spawned before tracking began (known only through `parent`). */
  tracked: boolean;
  children: GreenletInfo[];
}

interface Entry {
  seq: number;
  spawnedAt: number;
  started: boolean;
  trace: { stack?: string } | null;
}

const registry = new Map<Greenlet, Entry>();
let holders = 0;
let stackHolders = 0;
let seq = 0;

function onSpawn(message: unknown): void {
  const greenlet = message as Greenlet;
  let trace: { stack?: string } | null = null;
  if (stackHolders > 0) {
    trace = {};
    // Frames above start() or startLater() (this subscriber, the channel) are left out; V8 formats
    // lazily. A greenlet not scheduled yet is published by startLater (spawnLater).
    Error.captureStackTrace(trace, greenlet._startDelayed ? Greenlet.prototype.startLater : Greenlet.prototype.start);
  }
  registry.set(greenlet, { seq: ++seq, spawnedAt: performance.now(), started: false, trace });
}

function onStart(message: unknown): void {
  const entry = registry.get(message as Greenlet);
  if (entry !== undefined) entry.started = true;
}

function onEnd(message: unknown): void {
  const greenlet = message as Greenlet;
  registry.delete(greenlet);
}

/**
 * Starts keeping a registry of live greenlets for `runInfo()` and the monitor: every greenlet
 * started from now on is listed until it dies. Costs nothing until called; while on, a map entry
 * per live greenlet and, with `captureStack`, a stack capture per spawn. `NODEVENT_TRACK=1` in the
 * environment turns it on when nodevent loads (`NODEVENT_TRACK=nostack` without stacks).
 *
 * @example
 * ```ts runnable
 * import { trackGreenlets, formatRunInfo } from 'nodevent';
 * const tracking = trackGreenlets();
 * process.on('SIGUSR2', () => process.stderr.write(formatRunInfo()));
 * // later: tracking.stop();
 * ```
 */
export function trackGreenlets(options: TrackOptions = {}): Tracking {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`The "options" argument must be of type object. Received ${String(options)}`);
  }
  const captureStack = options.captureStack ?? true;
  if (typeof captureStack !== 'boolean') {
    throw new TypeError(`The "options.captureStack" argument must be of type boolean. Received ${typeof captureStack}`);
  }
  if (holders++ === 0) {
    diagnostics.spawn.subscribe(onSpawn);
    diagnostics.start.subscribe(onStart);
    diagnostics.end.subscribe(onEnd);
  }
  if (captureStack) stackHolders++;
  let held = true;
  return {
    stop() {
      if (!held) return;
      held = false;
      if (captureStack) stackHolders--;
      if (--holders === 0) {
        diagnostics.spawn.unsubscribe(onSpawn);
        diagnostics.start.unsubscribe(onStart);
        diagnostics.end.unsubscribe(onEnd);
        registry.clear();
      }
    },
  };
}

/**
 * True while greenlets are being tracked.
 *
 * @example
 * ```ts runnable
 * import { isTracking, trackGreenlets } from 'nodevent';
 * if (!isTracking()) trackGreenlets();
 * ```
 */
export function isTracking(): boolean {
  return holders > 0;
}

/** @internal A spawn trace as captured (unformatted: V8 formats it on first read), or null. */
export type SpawnTrace = { stack?: string } | null;

const runtimeFrame = /[/\\]runtime[/\\](?:greenlet|spawn|runqueue)\.[cm]?[jt]s:/;

/** @internal Formats a spawn trace: the runtime's own frames (spawn, drain) and Node's internals left out. */
export function formatTrace(trace: SpawnTrace): string | null {
  if (trace === null || trace.stack === undefined) return null;
  const kept = trace.stack.split('\n').slice(1)
    .filter((line) => !runtimeFrame.test(line) && !line.includes('(node:') && !line.includes(' node:'));
  return kept.length === 0 ? null : kept.map((line) => line.trim()).join('\n');
}

/** @internal The raw spawn trace of a tracked greenlet (cheap: nothing is formatted). */
export function spawnTraceOf(greenlet: Greenlet): SpawnTrace {
  return registry.get(greenlet)?.trace ?? null;
}

/**
 * Where a tracked greenlet was spawned, or null (not tracked, dead, or stack capture off).
 *
 * @example
 * ```ts runnable
 * import { sleep, spawn, spawnStackOf, trackGreenlets } from 'nodevent';
 * trackGreenlets();
 * const g = spawn(() => sleep(1));
 * console.log(spawnStackOf(g)); // the frames of the spawn() call
 * ```
 */
export function spawnStackOf(greenlet: Greenlet): string | null {
  return formatTrace(registry.get(greenlet)?.trace ?? null);
}

/**
 * Every live greenlet started since tracking began, as the spawn tree (roots are greenlets
 * spawned outside any greenlet, or whose parent is dead). Live ancestors spawned before tracking
 * began appear with `tracked: false`. With tracking off, only the calling greenlet and its
 * ancestors can be known, and that is what it returns.
 *
 * @example
 * ```ts runnable
 * import { runInfo } from 'nodevent';
 * for (const root of runInfo()) console.log(root.name, root.children.map((c) => c.name));
 * ```
 */
export function runInfo(): GreenletInfo[] {
  const now = performance.now();
  const current = getCurrent();
  const nodes = new Map<Greenlet, GreenletInfo & { seq: number }>();
  const roots: (GreenletInfo & { seq: number })[] = [];
  const node = (greenlet: Greenlet): GreenletInfo & { seq: number } => {
    let info = nodes.get(greenlet);
    if (info !== undefined) return info;
    const entry = registry.get(greenlet);
    const scheduled = entry !== undefined ? !entry.started : !greenlet.started;
    info = {
      greenlet,
      name: greenlet.name,
      state: greenlet === current ? 'running' : scheduled ? 'scheduled' : 'suspended',
      age: entry === undefined ? null : (now - entry.spawnedAt) / 1000,
      spawnStack: formatTrace(entry?.trace ?? null),
      waitingOn: scheduled ? 'start' : null,
      owned: greenlet.ownedCount,
      tracked: entry !== undefined,
      children: [],
      seq: entry?.seq ?? 0,
    };
    nodes.set(greenlet, info);
    const parent = greenlet.parent;
    if (parent !== null && !parent.dead) node(parent).children.push(info);
    else roots.push(info);
    return info;
  };
  for (const greenlet of registry.keys()) if (!greenlet.dead) node(greenlet);
  if (current !== null && !current.dead) node(current);
  const sort = (list: (GreenletInfo & { seq: number })[]): GreenletInfo[] => {
    list.sort((a, b) => a.seq - b.seq);
    return list.map(({ seq: _seq, ...info }) => ({ ...info, children: sort(info.children as (GreenletInfo & { seq: number })[]) }));
  };
  return sort(roots);
}

function formatNode(info: GreenletInfo, prefix: string, last: boolean, top: boolean, out: string[]): void {
  const branch = top ? '' : last ? '└─ ' : '├─ ';
  const facts: string[] = [info.state];
  if (info.age !== null) facts.push(`age ${info.age.toFixed(3)} s`);
  if (info.owned > 0) facts.push(`owns ${info.owned}`);
  if (info.waitingOn !== null) facts.push(`waiting on ${info.waitingOn}`);
  if (!info.tracked) facts.push('spawned before tracking began');
  out.push(`${prefix}${branch}<Greenlet "${info.name}"> ${facts.join(', ')}`);
  const inner = top ? '' : prefix + (last ? '   ' : '│  ');
  const bar = info.children.length > 0 ? '│  ' : '   ';
  if (info.spawnStack) {
    const lines = info.spawnStack.split('\n');
    out.push(`${inner}${bar}spawned ${lines[0]}`);
    for (const line of lines.slice(1)) out.push(`${inner}${bar}        ${line}`);
  }
  info.children.forEach((child, i) => formatNode(child, inner, i === info.children.length - 1, false, out));
}

/**
 * `runInfo()` as text: the spawn tree, one greenlet a line, each followed by where it was spawned.
 *
 * @example
 * ```ts runnable
 * import { formatRunInfo } from 'nodevent';
 * process.on('SIGUSR2', () => process.stderr.write(formatRunInfo()));
 * ```
 */
export function formatRunInfo(info: GreenletInfo[] = runInfo()): string {
  const out: string[] = [];
  let count = 0;
  const countAll = (list: GreenletInfo[]): void => list.forEach((i) => { count++; countAll(i.children); });
  countAll(info);
  out.push(`${count} live greenlet${count === 1 ? '' : 's'}${holders > 0 ? '' : ' (tracking is off: only the current greenlet is known; call trackGreenlets() or set NODEVENT_TRACK=1)'}`);
  for (const root of info) formatNode(root, '', true, true, out);
  return `${out.join('\n')}\n`;
}

const env = process.env.NODEVENT_TRACK;
if (env !== undefined && env !== '' && env !== '0' && env.toLowerCase() !== 'false') {
  trackGreenlets({ captureStack: env.toLowerCase() !== 'nostack' });
}
