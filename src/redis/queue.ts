import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { getCurrent, type Greenlet } from '../runtime/greenlet.js';
import { Empty, Full, ShutDown, untilShutDown } from '../runtime/queue-errors.js';
import type { GetOptions, JoinableQueueLike, JoinOptions, PutOptions, ShutdownOptions } from '../runtime/queue.js';
import { abortable } from '../runtime/abortable.js';
import { Lock } from '../runtime/lock.js';
import { currentScope, outsideScope, type ScopeResource, type Scope } from '../runtime/scope.js';
import { sleep } from '../runtime/sleep.js';
import { invalidArgType, outOfRange, secondsToMs, validateCount } from '../internal/validate.js';
import { BlockingConnection, type Blocker } from './blocking.js';
import { resolveCodec, type Codec, type CodecOption } from './codec.js';
import { connectClient, delay, newClient, retryable, validateConnection, type Client, type Connection, type ConnectionOptions } from './connection.js';
import { Lease } from './lease.js';
import { readStats, type RedisQueueStats } from './stats.js';
import { DONE, PUT, RECONCILE, REQUEUE, SHUTDOWN, TAKE, queueKeys, type QueueKeys } from './scripts.js';
import { rawClearTimeout, rawSetTimeout } from '../internal/timers.js';

// How long after a timeout's deadline a call still waiting for Redis gives up (see `get`).
const DEADLINE_GRACE_MS = 250;
const TIMED_OUT = Symbol('timed out');

/** `promise`, or TIMED_OUT after `ms` (its timer cleared either way). */
function within<R>(promise: Promise<R>, ms: number): Promise<R | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof TIMED_OUT>((resolve) => { timer = rawSetTimeout(() => resolve(TIMED_OUT), Math.max(0, ms)); });
  return Promise.race([promise, late]).finally(() => rawClearTimeout(timer));
}

/** Options of `RedisQueue`. */
export interface RedisQueueOptions extends ConnectionOptions {
  /** Most items waiting in the pending list; 0 for no limit. @default 0 */
  maxsize?: number;
  /**
   * Seconds a consumer's lease lasts. The lease is renewed every third of it while the consumer
   * holds items or waits for one; when a consumer dies its items go back to pending at most about
   * one lease later.
   * @default 10
   */
  lease?: number;
  /** How items are stored: 'json', 'string', 'bytes' or `{ encode, decode }`. @default 'json' */
  codec?: CodecOption;
  /** Prefix of every key of the queue. @default 'nodevent:queue:' */
  prefix?: string;
}

interface Held {
  entry: string;
  greenlet: Greenlet | null;
  scope: Scope | undefined;
  owned: ScopeResource | undefined;
}

interface GetOp {
  aborted: boolean;
  blocker: Blocker | null;
}

const BLOCK_SLICE_MS = 1000;

/**
 * A joinable queue kept in Redis, with the in-memory `Queue`'s interface: code written against
 * `JoinableQueueLike` runs on either. Reliable, after the chapter's pending → working → done
 * lists: `get` moves an item atomically from the pending list to this consumer's working list,
 * under a lease the consumer keeps renewing; `taskDone` removes it; when a consumer dies its lease
 * expires and any client gives its items back to pending. Delivery is at-least-once: an item can
 * be delivered twice (a consumer stalled past its lease, a reply lost), never lost once `put`
 * resolved (with Redis persisting, e.g. `appendonly yes` + `appendfsync always`).
 *
 * @example
 * ```ts
 * import { RedisQueue } from 'nodevent/redis';
 * const dishes = new RedisQueue<string>('dishes', { url: 'redis://127.0.0.1:6379' });
 * await dishes.put('salad');
 * for await (const dish of dishes) { console.log('dried', dish); await dishes.taskDone(); }
 * ```
 */
export class RedisQueue<T = unknown> implements JoinableQueueLike<T> {
  /** The queue's name; every key is `prefix + name + ':' + part`. */
  readonly name: string;
  /** This consumer's id: its working list is `…:working:<consumer>`. */
  readonly consumer: string;
  readonly maxsize: number;
  /** The lease in seconds. */
  readonly lease: number;
  #codec: Codec<T>;
  #connection: Connection;
  #keys: QueueKeys;
  #base: string;
  #client: Client | null = null;
  #connecting: Promise<Client> | null = null;
  #blocking: BlockingConnection;
  #leaseKeeper: Lease;
  /** Claim tokens of takes whose replies arrived: the next take forgets them. */
  #settledClaims: string[] = [];
  #held: Held[] = [];
  #getting = 0;
  // One blocking pop per consumer at a time: getters line up here, oldest first.
  #line = new Lock();
  #closed = false;

  constructor(name: string, options: RedisQueueOptions = {}) {
    if (typeof name !== 'string' || name === '') throw invalidArgType('name', 'a non-empty string', name);
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    this.name = name;
    this.maxsize = validateCount(options.maxsize, 'options.maxsize') ?? 0;
    const leaseMs = secondsToMs(options.lease ?? 10, 'options.lease', false)!;
    if (leaseMs < 100) throw outOfRange('options.lease', 'at least 0.1 seconds', options.lease);
    this.lease = leaseMs / 1000;
    this.#codec = resolveCodec(options.codec, 'options.codec');
    this.#connection = validateConnection(options);
    const prefix = options.prefix ?? 'nodevent:queue:';
    if (typeof prefix !== 'string') throw invalidArgType('options.prefix', 'of type string', prefix);
    this.consumer = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.#base = `${prefix}${name}:`;
    this.#keys = queueKeys(this.#base, this.consumer);
    this.#leaseKeeper = new Lease(this.lease, this.#keys, this.consumer, this.#base, () => this.#client);
    this.#blocking = new BlockingConnection(this.#connection, () => this.#client);
  }

  // ---- plumbing -------------------------------------------------------------------------------

  #connect(): Promise<Client> {
    if (this.#closed) return Promise.reject(new Error(`RedisQueue "${this.name}" is closed`));
    if (this.#client !== null) return Promise.resolve(this.#client);
    return (this.#connecting ??= outsideScope(async () => {
      this.#client = await connectClient(newClient(this.#connection));
      return this.#client;
    }).finally(() => { this.#connecting = null; }));
  }

  /** Runs a command, again after a lost connection (the client reconnects meanwhile). */
  async #run<R>(fn: (client: Client) => Promise<R>): Promise<R> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn(await this.#connect());
      } catch (error) {
        if (this.#closed || !retryable(error)) throw error;
        await delay(Math.min(25 * 2 ** attempt, 500));
      }
    }
  }

  #encode(item: T): string {
    // The id makes every entry unique, so LREM removes exactly the one this consumer holds.
    return `${randomUUID()}\n${this.#codec.encode(item)}`;
  }

  #decode(entry: string): T {
    return this.#codec.decode(entry.slice(entry.indexOf('\n') + 1));
  }

  /** Keeps the lease alive while this consumer holds items or waits for one. */
  #renewLease(): void {
    this.#leaseKeeper.keep(!this.#closed && (this.#held.length > 0 || this.#getting > 0));
  }

  #reap(force = false): Promise<number> {
    return this.#leaseKeeper.reap((fn) => this.#run(fn), force);
  }

  /** Runs the reaper now (it also runs by itself from `get`). Resolves the number of items given back. */
  reap(): Promise<number> {
    return this.#reap(true);
  }

  async #reconcile(): Promise<void> {
    const k = this.#keys;
    await this.#run((c) => RECONCILE.run(c, [k.working, k.pending, k.taken, k.claims], this.#held.map((h) => h.entry)));
  }

  /** The core of `get`: resolves the entry now held, or undefined when the getter was killed. */
  async #take(op: GetOp, block: boolean, deadline: number | undefined): Promise<string | undefined> {
    // A non-blocking get is one atomic script: it needs no place in the line of blocking getters.
    const locking = block;
    if (locking && !(await this.#line.acquire({ timeout: deadline === undefined ? null : Math.max(0, deadline - Date.now()) / 1000 }))) {
      throw new Empty();
    }
    const k = this.#keys;
    this.#getting++;
    this.#renewLease();
    try {
      for (;;) {
        if (op.aborted) return undefined;
        await this.#reap();
        let result: unknown;
        const claim = randomUUID();
        const settled = this.#settledClaims.splice(0);
        try {
          result = await this.#run((c) => TAKE.run(c,
            [k.pending, k.working, k.taken, k.lease, k.consumers, k.shutdown, k.claims],
            [Math.round(this.lease * 1000), this.consumer, claim, ...settled]));
        } catch (error) {
          await this.#reconcile().catch(() => {});
          throw error;
        }
        if (typeof result === 'string') {
          this.#settledClaims.push(claim);
          return this.#hold(op, result);
        }
        if (result === -1) throw new ShutDown();
        if (op.aborted) return undefined;
        const left = deadline === undefined ? BLOCK_SLICE_MS : deadline - Date.now();
        if (!block || left <= 0) throw new Empty();
        let entry: unknown;
        try {
          const blocker = await this.#blocking.get();
          if (op.aborted) return undefined;
          op.blocker = blocker;
          entry = await blocker.client.sendCommand(
            ['BLMOVE', k.pending, k.working, 'LEFT', 'RIGHT', String(Math.max(0.01, Math.min(left, BLOCK_SLICE_MS) / 1000))]);
        } catch (error) {
          // Killed, shut down, or the connection failed: the move may have happened without its
          // reply reaching us. The blocking connection is gone now, so nothing else can land in the
          // working list behind our back: give back what we do not know we hold.
          this.#blocking.kill();
          await this.#reconcile().catch(() => {});
          if (this.#closed) throw error;
          if (!op.aborted && !retryable(error)) throw error;
          if (!op.aborted) await delay(50);
          continue;
        } finally {
          op.blocker = null;
        }
        if (typeof entry === 'string') {
          this.#client?.sendCommand(['HSET', k.taken, entry, String(Date.now())]).catch(() => {});
          return this.#hold(op, entry);
        }
      }
    } finally {
      this.#getting--;
      this.#renewLease();
      if (locking) this.#line.release();
    }
  }

  async #hold(op: GetOp, entry: string): Promise<string | undefined> {
    if (op.aborted) {
      // The getter was killed while the item was on its way: straight back to pending.
      const k = this.#keys;
      await this.#run((c) => REQUEUE.run(c, [k.working, k.pending, k.taken], [entry])).catch(() => {});
      return undefined;
    }
    this.#held.push({ entry, greenlet: null, scope: undefined, owned: undefined });
    return entry;
  }

  // ---- the queue interface --------------------------------------------------------------------

  /**
   * Appends `item` to the pending list. The item is encoded first: one the codec cannot represent
   * (a BigInt, a cycle with JSON) rejects with a TypeError and nothing is written. With `maxsize`,
   * waits for room (polling) or rejects with `Full`; after `shutdown` rejects with `ShutDown`.
   * Resolves once Redis acknowledged the write.
   */
  async put(item: T, options: PutOptions = {}): Promise<void> {
    const entry = this.#encode(item);
    const block = options.block ?? true;
    const ms = secondsToMs(options.timeout, 'options.timeout');
    const deadline = ms === undefined ? undefined : Date.now() + ms;
    const k = this.#keys;
    for (;;) {
      const result = Number(await this.#run((c) => PUT.run(c, [k.pending, k.unfinished, k.shutdown], [entry, this.maxsize])));
      if (result === 1) return;
      if (result === -1) throw new ShutDown();
      if (!block || (deadline !== undefined && Date.now() >= deadline)) throw new Full();
      await sleep(deadline === undefined ? 0.05 : Math.min(0.05, Math.max(0, deadline - Date.now()) / 1000));
    }
  }

  /** `put(item, { block: false })`. */
  putNowait(item: T): Promise<void> {
    return this.put(item, { block: false });
  }

  /**
   * Takes the next item into this consumer's working list. Waits (FIFO among this process's
   * getters; Redis serves the processes FIFO) up to `timeout` seconds, then rejects with `Empty`;
   * after `shutdown`, rejects with `ShutDown` once pending is empty. A getter killed while it waits
   * takes nothing: its blocking connection is killed and any item already moved is given back.
   * An item held by a greenlet that is killed before `taskDone` is given back at once.
   */
  get(options: GetOptions = {}): Promise<T> {
    const block = options.block ?? true;
    const ms = secondsToMs(options.timeout, 'options.timeout');
    const deadline = ms === undefined || !block ? undefined : Date.now() + ms;
    const scope = currentScope();
    if (scope?.aborted) return Promise.reject(scope.reason);
    if (this.#closed) return Promise.reject(new Error(`RedisQueue "${this.name}" is closed`));
    const op: GetOp = { aborted: false, blocker: null };
    const stop = (): void => {
      op.aborted = true;
      if (op.blocker !== null && op.blocker === this.#blocking.current) this.#blocking.kill();
    };
    let timer: NodeJS.Timeout | undefined;
    return abortable<T>(scope, (resolve, reject) => {
      if (deadline !== undefined) {
        // The timeout holds even while Redis is away (the commands of the take then wait for the
        // reconnection): the take is stopped as a killed getter's is, so an item it still moves
        // goes back to pending. A little after the deadline, so that a reachable server's own
        // Empty (the blocking pop's end) comes first.
        timer = rawSetTimeout(() => {
          stop();
          reject(new Empty());
        }, Math.max(0, deadline - Date.now()) + DEADLINE_GRACE_MS);
      }
      outsideScope(() => this.#take(op, block, deadline)).finally(() => rawClearTimeout(timer)).then((entry) => {
        if (entry === undefined) return;
        const held = this.#held.find((h) => h.entry === entry)!;
        held.greenlet = getCurrent();
        if (scope !== undefined) {
          // Held by a greenlet: if it is killed before taskDone, the item goes back at once.
          held.scope = scope;
          held.owned = { dispose: () => this.#giveBack(held) };
          scope.own(held.owned);
          // Killed while the reply was on its way: an aborted scope owns nothing new, so give back now.
          if (scope.aborted) {
            this.#giveBack(held);
            return;
          }
        }
        let item: T;
        try {
          item = this.#decode(entry);
        } catch (error) {
          reject(error);
          return;
        }
        resolve(item);
      }, reject);
    }, () => {
      rawClearTimeout(timer);
      stop();
    });
  }

  /** `get({ block: false })`. */
  getNowait(): Promise<T> {
    return this.get({ block: false });
  }

  #giveBack(held: Held): void {
    const at = this.#held.indexOf(held);
    if (at === -1) return;
    this.#held.splice(at, 1);
    this.#renewLease();
    const k = this.#keys;
    void this.#run((c) => REQUEUE.run(c, [k.working, k.pending, k.taken], [held.entry])).catch(() => {});
  }

  /** The held item `taskDone` applies to: the oldest taken by the calling greenlet, else the oldest. */
  #pickHeld(): Held {
    const me = getCurrent();
    const held = this.#held.find((h) => h.greenlet === me) ?? this.#held[0];
    if (held === undefined) throw new Error('taskDone() called more times than items were taken by this consumer');
    this.#held.splice(this.#held.indexOf(held), 1);
    if (held.owned !== undefined) held.scope?.disown(held.owned);
    this.#renewLease();
    return held;
  }

  async #finish(reason: string): Promise<void> {
    const held = this.#pickHeld();
    const k = this.#keys;
    await this.#run((c) => DONE.run(c,
      [k.working, k.pending, k.unfinished, k.done, k.taken, k.failed, k.failedCount], [held.entry, reason]));
  }

  /**
   * Marks an item taken by this consumer done: it leaves the working list, the done count grows and
   * the unfinished count (what `join` waits for, across processes) shrinks. Applies to the oldest
   * item taken by the calling greenlet (the oldest taken by this consumer outside greenlets).
   * Throws when this consumer holds nothing.
   */
  taskDone(): Promise<void> {
    try {
      return this.#finish('');
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Like `taskDone`, but the item is recorded as failed (see `stats().failedItems`). It is not retried. */
  taskFailed(reason: unknown = 'failed'): Promise<void> {
    const text = reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
    try {
      return this.#finish(text === '' ? 'failed' : text);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Resolves true once every item put (by any process) was marked done, false after `timeout`
   * seconds. Polls the unfinished count in Redis every 50 ms, so it works across processes and
   * across a Redis restart.
   */
  async join(options: JoinOptions = {}): Promise<boolean> {
    const ms = secondsToMs(options.timeout, 'options.timeout');
    const deadline = ms === undefined ? undefined : Date.now() + ms;
    for (;;) {
      const count = this.#run((c) => c.sendCommand(['GET', this.#keys.unfinished]));
      // While Redis is away the GET waits for the reconnection; the timeout still holds.
      const reply = deadline === undefined ? await count : await within(count, deadline - Date.now() + DEADLINE_GRACE_MS);
      if (reply === TIMED_OUT) return false;
      const unfinished = Number(reply ?? 0);
      if (unfinished <= 0) return true;
      if (deadline !== undefined && Date.now() >= deadline) return false;
      if (this.#held.length === 0 && this.#getting === 0) void this.#reap().catch(() => {});
      await sleep(deadline === undefined ? 0.05 : Math.min(0.05, Math.max(0, deadline - Date.now()) / 1000));
    }
  }

  /** Items in the pending list (not taken yet). */
  async qsize(): Promise<number> {
    return Number(await this.#run((c) => c.sendCommand(['LLEN', this.#keys.pending])));
  }

  async empty(): Promise<boolean> {
    return (await this.qsize()) === 0;
  }

  async full(): Promise<boolean> {
    return this.maxsize > 0 && (await this.qsize()) >= this.maxsize;
  }

  /**
   * Shuts the queue down for every process: `put` rejects with `ShutDown`, getters drain what is
   * left and then reject with `ShutDown`. With `immediate` the pending items are dropped and
   * counted as done. This process's waiting getter wakes at once; other processes' within a second.
   */
  async shutdown(options: ShutdownOptions = {}): Promise<void> {
    const k = this.#keys;
    await this.#run((c) => SHUTDOWN.run(c, [k.shutdown, k.pending, k.unfinished], [options.immediate ? '1' : '0']));
    this.#blocking.kill();
  }

  /** Yields items until the queue is shut down and empty; call `taskDone` for each. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return untilShutDown(() => this.get());
  }

  /**
   * Counts of the pending, working (all consumers) and done items, the items that failed or were
   * given back by the reaper, and the items held longer than `longerThan` seconds.
   */
  async stats(options: { longerThan?: number } = {}): Promise<RedisQueueStats<T>> {
    const longerMs = secondsToMs(options.longerThan, 'options.longerThan') ?? 0;
    return readStats(await this.#connect(), this.#keys, this.#base, longerMs, (entry) => this.#decode(entry));
  }

  /** Deletes every key of the queue (all consumers' working lists too). For tests and resets. */
  async purge(): Promise<void> {
    await this.#run(async (c) => {
      const keys = [...Object.values(this.#keys)];
      for await (const batch of c.scanIterator({ MATCH: `${this.#base}*`, COUNT: 1000 })) keys.push(...batch);
      await c.sendCommand(['DEL', ...new Set(keys)]);
    });
  }

  /**
   * Gives back the items this consumer still holds, ends its lease and closes its connections.
   * Getters still waiting reject. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    const client = this.#client ?? (this.#connecting !== null ? await this.#connecting.catch(() => null) : null);
    this.#blocking.kill();
    for (const held of this.#held) if (held.owned !== undefined) held.scope?.disown(held.owned);
    this.#held = [];
    this.#closed = true;
    this.#renewLease();
    if (client === null) return;
    const k = this.#keys;
    // With Redis away these would wait for the reconnection: they get the first connection's time
    // limit, then the lease expiring and the reaper give the items back instead.
    const cleanup = (async (): Promise<void> => {
      await RECONCILE.run(client, [k.working, k.pending, k.taken, k.claims], []);
      await client.sendCommand(['DEL', k.lease, k.claims]);
      await client.sendCommand(['SREM', k.consumers, this.consumer]);
    })();
    cleanup.catch(() => {});
    if (client.isReady) await within(cleanup, this.#connection.connectMs).catch(() => {});
    client.destroy();
    this.#client = null;
  }
}
