import { createHook, executionAsyncResource } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import { diagnostics } from './diagnostics.js';
import { Greenlet, getCurrent } from './greenlet.js';
import { formatTrace, spawnTraceOf, trackGreenlets, type SpawnTrace, type Tracking } from './runinfo.js';
import { outsideScope } from './scope.js';
import { rawSetImmediate } from '../internal/timers.js';
import { invalidArgType, outOfRange, secondsToMs } from '../internal/validate.js';

/** What the monitor found: one synchronous stretch that held the loop too long. */
export interface BlockedReport {
  /** The greenlet whose code ran, or null for code outside every greenlet. */
  greenlet: Greenlet | null;
  /** Its name, or `(no greenlet)`. */
  name: string;
  /** How long the stretch held the loop, in seconds. */
  seconds: number;
  /** What ran: `greenlet start` (the body's first run) or the callback's resource (`Promise`, `Timeout`, …). */
  during: string;
  /** Where the greenlet was spawned, when tracking captured it. */
  spawnStack: string | null;
}

/** Options of `monitor`. */
export interface MonitorOptions {
  /** Report stretches of synchronous code longer than this many seconds. @default 0.1 */
  maxBlockingTime?: number;
  /** Receives each report (on a later tick, outside every greenlet). @default null: write to `stream` */
  onBlocked?: ((report: BlockedReport) => void) | null;
  /** Where reports go when there is no `onBlocked`. @default process.stderr */
  stream?: NodeJS.WritableStream | null;
  /**
   * Track greenlets with spawn stacks (see `trackGreenlets`) so reports say where the blocking
   * greenlet was spawned. Off by default: a stack capture per spawn costs far more than the
   * monitor itself. With tracking already on (`NODEVENT_TRACK=1`), reports carry stacks anyway.
   * @default false
   */
  captureStack?: boolean;
}

/** A running monitor. */
export interface Monitor {
  /** False once stopped. */
  readonly running: boolean;
  /** Reports made so far. */
  readonly reports: number;
  /** Removes the async hook and every channel subscription. Idempotent. */
  stop(): void;
}

/**
 * The text a report is written as when there is no `onBlocked`.
 *
 * @example
 * ```ts runnable
 * import { monitor, formatBlockedReport } from 'nodevent';
 * monitor({ onBlocked: (report) => console.warn(formatBlockedReport(report)) });
 * ```
 */
export function formatBlockedReport(report: BlockedReport): string {
  const who = report.greenlet === null ? 'code outside any greenlet' : `<Greenlet "${report.name}">`;
  let text = `nodevent monitor: the loop was blocked for ${report.seconds.toFixed(3)} s by ${who} (${report.during})\n`;
  if (report.spawnStack) text += `  spawned ${report.spawnStack.split('\n').join('\n          ')}\n`;
  return text;
}

function describeResource(): string {
  const resource = executionAsyncResource() as object | undefined;
  const name = resource?.constructor?.name;
  if (name === 'Promise') return 'promise continuation';
  if (name === 'Timeout') return 'timer';
  return name === undefined || name === 'Object' ? 'callback' : name;
}

/**
 * Watches for synchronous code that holds the event loop longer than `maxBlockingTime` seconds
 * and names the greenlet that ran it. Every callback and promise continuation is timed between
 * async_hooks' `before` and `after`; the runtime's start batch is split per greenlet at each
 * `nodevent:greenlet:start`. A report is made when the stretch ends (so a loop that never ends is
 * never reported) and delivered on a later tick. Costs nothing until called; `stop()` removes it all.
 *
 * @example
 * ```ts runnable
 * import { monitor } from 'nodevent';
 * const m = monitor({ maxBlockingTime: 0.1 }); // reports to stderr
 * // … later
 * m.stop();
 * ```
 */
export function monitor(options: MonitorOptions = {}): Monitor {
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  const limit = secondsToMs(options.maxBlockingTime ?? 0.1, 'options.maxBlockingTime', false)!;
  if (limit <= 0) throw outOfRange('options.maxBlockingTime', 'a positive number of seconds', options.maxBlockingTime);
  const onBlocked = options.onBlocked ?? null;
  if (onBlocked !== null && typeof onBlocked !== 'function') throw invalidArgType('options.onBlocked', 'of type function', onBlocked);
  const stream = options.stream === undefined ? process.stderr : options.stream;
  const captureStack = options.captureStack ?? false;
  if (typeof captureStack !== 'boolean') throw invalidArgType('options.captureStack', 'of type boolean', captureStack);

  let running = true;
  let reports = 0;
  let depth = 0;
  let since = 0;
  // The owner of the open stretch: a greenlet set by the start channel, or undefined = read it from
  // the scope at the end (reading only when a report is due keeps the common path to two clock reads).
  let owner: Greenlet | null | undefined = undefined;
  // Taken when a body starts: a body that returns at once is dead (and untracked) by the report.
  let ownerTrace: SpawnTrace = null;
  let pending: BlockedReport[] = [];
  let deliveryScheduled = false;

  const deliver = (): void => {
    deliveryScheduled = false;
    const batch = pending;
    pending = [];
    for (const report of batch) {
      try {
        if (onBlocked !== null) onBlocked(report);
        else stream?.write(formatBlockedReport(report));
      } catch (error) {
        process.stderr.write(`nodevent monitor: onBlocked threw ${String(error)}\n`);
      }
    }
  };

  const close = (now: number, during: string | null): void => {
    const elapsed = now - since;
    if (elapsed < limit) return;
    const greenlet = owner === undefined ? getCurrent() : owner;
    reports++;
    pending.push({
      greenlet,
      name: greenlet === null ? '(no greenlet)' : greenlet.name,
      seconds: elapsed / 1000,
      during: during ?? describeResource(),
      spawnStack: greenlet === null ? null : formatTrace(owner === undefined ? spawnTraceOf(greenlet) : ownerTrace),
    });
    if (!deliveryScheduled) {
      deliveryScheduled = true;
      outsideScope(() => rawSetImmediate(deliver));
    }
  };

  const hook = createHook({
    before() {
      if (depth++ === 0) {
        since = performance.now();
        owner = undefined;
      }
    },
    after() {
      if (depth === 0) return;
      if (--depth === 0) close(performance.now(), owner === undefined ? null : 'greenlet start');
    },
  });

  // One microtask starts a whole batch of greenlets: split its stretch at each body's start.
  const onStart = (message: unknown): void => {
    if (depth === 0) return;
    const now = performance.now();
    close(now, owner === undefined ? null : 'greenlet start');
    since = now;
    owner = message as Greenlet;
    ownerTrace = spawnTraceOf(owner);
  };

  const tracking: Tracking | null = captureStack ? trackGreenlets({ captureStack: true }) : null;
  diagnostics.start.subscribe(onStart);
  hook.enable();

  return {
    get running() {
      return running;
    },
    get reports() {
      return reports;
    },
    stop() {
      if (!running) return;
      running = false;
      hook.disable();
      diagnostics.start.unsubscribe(onStart);
      tracking?.stop();
    },
  };
}
