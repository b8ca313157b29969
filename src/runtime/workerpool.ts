import type { ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import Tinypool from 'tinypool';
import { Greenlet } from './greenlet.js';
import { Semaphore } from './lock.js';
import { onEnd } from './diagnostics.js';
import { currentScope, outsideScope, type ScopeResource } from './scope.js';
import { invalidArgType, outOfRange, secondsToMs } from '../internal/validate.js';

/** Options shared by `ThreadPool` and `ProcessPool`. */
export interface WorkerPoolOptions {
  /**
   * Seconds an idle worker is kept before it ends (it is started again on demand). Idle workers
   * never keep the process alive.
   * @default Infinity
   */
  idleTimeout?: number;
  /**
   * Node options of the workers. Each worker inherits the parent's `process.execArgv` (so loaders
   * such as a TypeScript hook apply in workers too); pass `[]` for a lean, faster-starting worker.
   * @default process.execArgv
   * @example
   * ```ts runnable
   * import { ProcessPool } from 'nodevent';
   * new ProcessPool(2, { execArgv: ['--max-old-space-size=256'] });
   * ```
   */
  execArgv?: string[];
}

/** The envelope a task comes back in: errors are plain data so both runtimes carry them alike. */
type Outcome = { ok: true; value: unknown } | { ok: false; error: ErrorData };
type ErrorData =
  | { thrown: unknown }
  | { name: string; message: string; stack: string | undefined; props: Record<string, unknown>; cause?: ErrorData };

// The worker side, as a data: URL module: it needs no file next to the compiled code, so the pool
// works the same from dist/ (compiled) and src/ (ts-node in tests). A data: module can import
// absolute file: URLs, which is all it does. It returns (never throws) an Outcome.
const WORKER_SOURCE = `
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
// A pool process whose parent died (a signal, a crash) has no one to work for: it ends with its
// IPC channel instead of running on as an orphan.
if (isMainThread && typeof process.send === 'function') process.once('disconnect', () => process.exit(1));
const modules = new Map();
async function load(module) {
  let namespace = modules.get(module);
  if (namespace !== undefined) return namespace;
  // Checked here: a loader hook may fail to report a missing file imported from a data: module.
  if (module.startsWith('file:') && !existsSync(fileURLToPath(module))) {
    const error = new Error("Cannot find module '" + fileURLToPath(module) + "'");
    error.code = 'ERR_MODULE_NOT_FOUND';
    throw error;
  }
  namespace = await import(module);
  modules.set(module, namespace);
  return namespace;
}
function clone(value) {
  try { return structuredClone(value); } catch { return String(value); }
}
function describe(error) {
  if (error instanceof Error || Object.prototype.toString.call(error) === '[object Error]') {
    const props = {};
    for (const key of Object.keys(error)) props[key] = clone(error[key]);
    const data = { name: String(error.name), message: String(error.message), stack: error.stack, props };
    if (error.cause !== undefined) data.cause = describe(error.cause);
    return data;
  }
  return { thrown: clone(error) };
}
export async function run({ module, exportName, args }) {
  try {
    const fn = (await load(module))[exportName];
    if (typeof fn !== 'function') {
      throw new TypeError('The module ' + module + ' has no exported function "' + exportName + '"');
    }
    const value = await fn(...args);
    try {
      structuredClone(value);
    } catch (error) {
      throw new TypeError('The result of "' + exportName + '" cannot be sent back: ' + error.message);
    }
    return { ok: true, value };
  } catch (error) {
    return { ok: false, error: describe(error) };
  }
}
`;
const WORKER_URL = `data:text/javascript,${encodeURIComponent(WORKER_SOURCE)}`;

const STANDARD_ERRORS: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/** Rebuilds an error thrown in a worker: same class when standard, same name, message and stack. */
function revive(data: ErrorData): unknown {
  if ('thrown' in data) return data.thrown;
  const Ctor = STANDARD_ERRORS[data.name] ?? Error;
  const error = data.cause === undefined ? new Ctor(data.message) : new Ctor(data.message, { cause: revive(data.cause) });
  if (error.name !== data.name) {
    Object.defineProperty(error, 'name', { value: data.name, writable: true, configurable: true, enumerable: false });
  }
  if (data.stack !== undefined) error.stack = data.stack;
  Object.assign(error, data.props);
  return error;
}

function toModuleUrl(module: unknown): string {
  if (module instanceof URL) return module.href;
  if (typeof module !== 'string') throw invalidArgType('module', 'of type string or an instance of URL', module);
  if (module === '') throw invalidArgType('module', 'a non-empty string', module);
  if (/^(file|data|node):/.test(module)) return module;
  return pathToFileURL(resolvePath(module)).href;
}

function validateSize(size: unknown): number {
  if (size === undefined) return availableParallelism();
  if (typeof size !== 'number') throw invalidArgType('size', 'of type number', size);
  if (!Number.isInteger(size) || size < 1) throw outOfRange('size', 'an integer >= 1', size);
  return size;
}

/** Error of `spawn` on a closed pool. */
function closedError(kind: string): Error {
  const error = new Error(`The ${kind} is closed`);
  (error as NodeJS.ErrnoException).code = 'ERR_POOL_CLOSED';
  return error;
}

/**
 * A fixed number of workers (threads or processes) running functions exported by ES modules.
 * Every task is a `Greenlet`: killing it (or its parent, or a timeout around it) terminates the
 * worker that runs it, and a new worker takes its place. Tasks beyond `size` wait in FIFO order.
 * Built on tinypool, which owns the workers; the queue is ours so that a queued task that is
 * killed never reaches a worker and a freed slot always goes to the oldest waiter.
 */
export class WorkerPool {
  /** The most tasks running at once. */
  readonly size: number;
  readonly #kind: string;
  readonly #pool: Tinypool;
  // One permit per worker: a task holds one while it runs; the rest wait in FIFO order, and a
  // waiter that is killed leaves the queue and rejects with its kill.
  readonly #slots: Semaphore;
  #greenlets = new Set<Greenlet>();
  #closing: Promise<void> | null = null;
  readonly #watchExits: boolean;
  readonly #sigkill: boolean;
  readonly #watched = new WeakSet<object>();

  protected constructor(kind: string, runtime: 'worker_threads' | 'child_process', size: unknown, options: WorkerPoolOptions) {
    this.#kind = kind;
    this.#watchExits = runtime === 'worker_threads';
    this.#sigkill = runtime === 'child_process';
    this.size = validateSize(size);
    this.#slots = new Semaphore(this.size);
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    const idleMs = secondsToMs(options.idleTimeout, 'options.idleTimeout') ?? 2 ** 31 - 1;
    const { execArgv } = options;
    if (execArgv !== undefined && (!Array.isArray(execArgv) || !execArgv.every((arg) => typeof arg === 'string'))) {
      throw invalidArgType('options.execArgv', 'an array of strings', execArgv);
    }
    // Created outside any scope: the workers are shared machinery, owned by no greenlet.
    this.#pool = outsideScope(
      () =>
        new Tinypool({
          filename: WORKER_URL,
          name: 'run',
          runtime,
          minThreads: 0,
          maxThreads: this.size,
          idleTimeout: idleMs,
          execArgv,
          // Structured clone on both runtimes (Map, Set, BigInt, typed arrays...), not JSON.
          serialization: 'advanced',
          // tinypool gives a child process only the env it is passed.
          env: runtime === 'child_process' ? (process.env as Record<string, string>) : undefined,
        }),
    );
    // A worker that dies with no task running is reported on the pool; the pool replaces it.
    this.#pool.on('error', () => {});
  }

  /** Tasks running on a worker now. */
  get running(): number {
    return this.size - this.#slots.counter;
  }

  /** Tasks waiting for a free worker. */
  get waiting(): number {
    return this.#slots.waiterCount;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closing !== null;
  }

  /**
   * Runs `module`'s export `exportName` with `args` on a worker. `module` is a path (relative to
   * the current directory) or a file URL of an ES module; the arguments and the result cross by
   * structured clone. Returns the task's Greenlet, started.
   */
  spawn<T = unknown>(module: string | URL, exportName: string, ...args: unknown[]): Greenlet<T> {
    const url = toModuleUrl(module);
    if (typeof exportName !== 'string') throw invalidArgType('exportName', 'of type string', exportName);
    if (this.#closing !== null) throw closedError(this.#kind);
    const greenlet = new Greenlet<T>(() => this.#runTask(url, exportName, args) as Promise<T>);
    this.#greenlets.add(greenlet);
    // Not a link: a link observes the task, and its failure must reach the hub when nobody else does.
    onEnd(greenlet, () => this.#greenlets.delete(greenlet));
    return greenlet.start();
  }

  /**
   * Ends the pool: every task still running or waiting is killed (GreenletExit), every worker is
   * terminated (threads) or killed with SIGKILL (processes). Resolves once the workers have exited.
   * Later `spawn` calls throw an Error with code `ERR_POOL_CLOSED`.
   */
  close(): Promise<void> {
    if (this.#closing !== null) return this.#closing;
    const workers = this.#pool.threads;
    const destroyed = outsideScope(() => this.#pool.destroy());
    // As with kill: a process's task must stop now, not when it next yields to a SIGTERM handler.
    if (this.#sigkill) for (const worker of workers) (worker as { process?: ChildProcess }).process?.kill('SIGKILL');
    this.#closing = destroyed;
    for (const greenlet of [...this.#greenlets]) void greenlet.kill({ block: false });
    return destroyed;
  }

  async #runTask(module: string, exportName: string, args: unknown[]): Promise<unknown> {
    const scope = currentScope()!;
    await this.#slots.acquire();
    try {
      const controller = new AbortController();
      // Killing the greenlet aborts the task: tinypool then terminates its worker and starts a
      // replacement on demand. After close() the workers are already being destroyed.
      const owned: ScopeResource = {
        dispose: (reason) => {
          if (this.#closing === null) outsideScope(() => this.#abort(controller, reason));
        },
      };
      scope.own(owned);
      try {
        const task = { module, exportName, args };
        const running = outsideScope(() => this.#pool.run(task, { signal: controller.signal }));
        if (this.#watchExits) this.#watchNewWorkers();
        const outcome = (await running) as Outcome;
        if (!outcome.ok) throw revive(outcome.error);
        return outcome.value;
      } finally {
        scope.disown(owned);
      }
    } finally {
      this.#slots.release();
    }
  }

  // tinypool ends an aborted task's worker: a thread is terminated at once, even in a busy loop,
  // but a process only gets SIGTERM, which a handler in the child (signal-exit, a user's cleanup)
  // turns into a JS callback that a busy task never yields to. So a process is killed with SIGKILL:
  // the worker tinypool drops, synchronously, on abort is the one that ran this task.
  #abort(controller: AbortController, reason: unknown): void {
    const before = this.#sigkill ? new Set(this.#pool.threads) : undefined;
    controller.abort(reason);
    if (before === undefined) return;
    for (const worker of this.#pool.threads) before.delete(worker);
    for (const worker of before) (worker as { process?: ChildProcess }).process?.kill('SIGKILL');
  }

  // tinypool notices a child process that exits by itself, but not a thread that does
  // (process.exit() in a task): its task would wait forever. Report such an exit the way tinypool
  // reports a dead process, as an 'error' of the worker, which fails the task and drops the worker.
  // A worker tinypool terminated itself is no longer in `threads`, so its exit is ignored.
  #watchNewWorkers(): void {
    for (const worker of this.#pool.threads) {
      if (this.#watched.has(worker)) continue;
      this.#watched.add(worker);
      worker.on('exit', (code: number) => {
        if (this.#pool.threads.includes(worker)) {
          worker.emit('error', new Error(`The worker exited unexpectedly with code ${code}`));
        }
      });
    }
  }
}
