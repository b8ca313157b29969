import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { getCurrent, type Greenlet } from '../runtime/greenlet.js';
import { Empty, Full, ShutDown, untilShutDown } from '../runtime/queue-errors.js';
import type { GetOptions, JoinableQueueLike, JoinOptions, PutOptions, ShutdownOptions } from '../runtime/queue.js';
import { currentScope, outsideScope, type ScopeResource, type Scope } from '../runtime/scope.js';
import { sleep } from '../runtime/sleep.js';
import { rawClearInterval, rawClearTimeout, rawSetInterval, rawSetTimeout } from '../internal/timers.js';
import { invalidArgType, outOfRange, secondsToMs, validateCount } from '../internal/validate.js';
import { resolveCodec, type Codec, type CodecOption } from './codec.js';
import { connectClient, delay, newClient, retryable, Script, validateConnection, type Client, type Connection, type ConnectionOptions } from './connection.js';

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

/** An item that went back to pending because its consumer's lease expired. */
export interface ExpiredItem<T> {
  item: T;
  consumer: string;
  /** When it was taken and when it was given back, in ms since the epoch (server clock). */
  takenAt: number | null;
  requeuedAt: number;
}

/** An item marked failed with `taskFailed`. */
export interface FailedItem<T> {
  item: T;
  reason: string;
  at: number;
}

/** What `stats()` returns. */
export interface RedisQueueStats<T> {
  pending: number;
  working: number;
  done: number;
  failed: number;
  /** Items put and not yet marked done (what `join` waits for). */
  unfinished: number;
  /** How many times an item was given back to pending by the reaper. */
  requeued: number;
  consumers: string[];
  /** The last (up to 100) items given back by the reaper: their consumer died or stalled. */
  expired: ExpiredItem<T>[];
  /** The last (up to 100) items marked failed. */
  failedItems: FailedItem<T>[];
  /** Items held longer than `options.longerThan` seconds (all held items without it), oldest first. */
  running: { item: T; takenAt: number }[];
}

// KEYS: pending, unfinished, shutdown. ARGV: entry, maxsize. → 1 put, 0 full, -1 shut down.
const PUT = new Script(`
if redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
local max = tonumber(ARGV[2])
if max > 0 and redis.call('LLEN', KEYS[1]) >= max then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('INCR', KEYS[2])
return 1`);

// KEYS: pending, working, taken, lease, consumers, shutdown, claims. ARGV: lease ms, consumer id,
// claim token, then the tokens of earlier takes whose replies arrived. Takes the next item without
// blocking and renews the lease in the same step → entry, -1 (shut down and empty) or nil. The
// entry is recorded under the claim token, so a TAKE sent again after its reply was lost (the
// server crashed after persisting the move) answers the same entry instead of moving a second one
// that nobody would know it holds.
const TAKE = new Script(`
redis.call('SET', KEYS[4], '1', 'PX', ARGV[1])
redis.call('SADD', KEYS[5], ARGV[2])
if #ARGV > 3 then redis.call('HDEL', KEYS[7], unpack(ARGV, 4)) end
local claimed = redis.call('HGET', KEYS[7], ARGV[3])
if claimed then return claimed end
local entry = redis.call('LMOVE', KEYS[1], KEYS[2], 'LEFT', 'RIGHT')
if entry then
  local t = redis.call('TIME')
  redis.call('HSET', KEYS[3], entry, t[1] * 1000 + math.floor(t[2] / 1000))
  redis.call('HSET', KEYS[7], ARGV[3], entry)
  return entry
end
if redis.call('EXISTS', KEYS[6]) == 1 then return -1 end
return false`);

// KEYS: working, pending, unfinished, done, taken, failed list, failed count. ARGV: entry, reason
// ('' = success). Only an entry actually removed counts: a retried or duplicate taskDone never
// decrements twice. An entry the reaper already gave back is taken out of pending again.
const DONE = new Script(`
local n = redis.call('LREM', KEYS[1], 1, ARGV[1])
if n == 0 then n = redis.call('LREM', KEYS[2], 1, ARGV[1]) end
if n == 0 then return 0 end
redis.call('HDEL', KEYS[5], ARGV[1])
redis.call('DECR', KEYS[3])
if ARGV[2] == '' then
  redis.call('INCR', KEYS[4])
else
  local t = redis.call('TIME')
  redis.call('INCR', KEYS[7])
  redis.call('LPUSH', KEYS[6], cjson.encode({entry = ARGV[1], reason = ARGV[2], at = t[1] * 1000 + math.floor(t[2] / 1000)}))
  redis.call('LTRIM', KEYS[6], 0, 99)
end
return 1`);

// KEYS: working, pending, taken, claims. ARGV: entries this consumer knows it holds. Gives back,
// to the head of pending, every entry of the working list not in ARGV: an item moved by a pop
// whose reply never arrived (greenlet killed, connection lost). Pending claims are dropped with it.
const RECONCILE = new Script(`
redis.call('DEL', KEYS[4])
local held = {}
for i = 1, #ARGV do held[ARGV[i]] = (held[ARGV[i]] or 0) + 1 end
local n = 0
for _, entry in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  if (held[entry] or 0) > 0 then
    held[entry] = held[entry] - 1
  else
    redis.call('LREM', KEYS[1], 1, entry)
    redis.call('LPUSH', KEYS[2], entry)
    redis.call('HDEL', KEYS[3], entry)
    n = n + 1
  end
end
return n`);

// KEYS: working, pending, taken. ARGV: entry. Gives one held item back at once.
const REQUEUE = new Script(`
if redis.call('LREM', KEYS[1], 1, ARGV[1]) > 0 then
  redis.call('LPUSH', KEYS[2], ARGV[1])
  redis.call('HDEL', KEYS[3], ARGV[1])
end
return 1`);

// KEYS: consumers, pending, expired, taken, requeued. ARGV: key prefix. For every consumer whose
// lease key is gone, moves its working list back to the head of pending, oldest first.
const REAP = new Script(`
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local n = 0
for _, c in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. 'lease:' .. c) == 0 then
    local w = ARGV[1] .. 'working:' .. c
    while true do
      local entry = redis.call('LMOVE', w, KEYS[2], 'RIGHT', 'LEFT')
      if not entry then break end
      local taken = redis.call('HGET', KEYS[4], entry)
      redis.call('HDEL', KEYS[4], entry)
      redis.call('LPUSH', KEYS[3], cjson.encode({entry = entry, consumer = c, takenAt = tonumber(taken), requeuedAt = now}))
      redis.call('INCR', KEYS[5])
      n = n + 1
    end
    redis.call('LTRIM', KEYS[3], 0, 99)
    redis.call('DEL', ARGV[1] .. 'claims:' .. c)
    redis.call('SREM', KEYS[1], c)
  end
end
return n`);

// KEYS: shutdown, pending, unfinished. ARGV: '1' when immediate.
const SHUTDOWN = new Script(`
redis.call('SET', KEYS[1], '1')
if ARGV[1] == '1' then
  local n = redis.call('LLEN', KEYS[2])
  redis.call('DEL', KEYS[2])
  if n > 0 then redis.call('DECRBY', KEYS[3], n) end
  return n
end
return 0`);

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

interface Blocker {
  client: Client;
  id: number;
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
  #keys: Record<'pending' | 'working' | 'lease' | 'claims' | 'consumers' | 'unfinished' | 'done' | 'taken'
    | 'shutdown' | 'expired' | 'requeued' | 'failed' | 'failedCount', string>;
  #base: string;
  #client: Client | null = null;
  #connecting: Promise<Client> | null = null;
  #blocker: Blocker | null = null;
  /** Claim tokens of takes whose replies arrived: the next take forgets them. */
  #settledClaims: string[] = [];
  #held: Held[] = [];
  #getting = 0;
  #locked = false;
  #lockWaiters: (() => void)[] = [];
  #renewTimer: NodeJS.Timeout | undefined = undefined;
  #lastReap = 0;
  #closed = false;
  #ops: GetOp[] = [];

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
    const k = (part: string): string => this.#base + part;
    this.#keys = {
      pending: k('pending'), working: k(`working:${this.consumer}`), lease: k(`lease:${this.consumer}`),
      claims: k(`claims:${this.consumer}`),
      consumers: k('consumers'), unfinished: k('unfinished'), done: k('done'), taken: k('taken'),
      shutdown: k('shutdown'), expired: k('expired'), requeued: k('requeued'), failed: k('failed'),
      failedCount: k('failed-count'),
    };
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
    const needed = this.#held.length > 0 || this.#getting > 0;
    if (needed && this.#renewTimer === undefined && !this.#closed) {
      this.#renewTimer = rawSetInterval(() => {
        const client = this.#client;
        if (client === null) return;
        client.multi()
          .set(this.#keys.lease, '1', { expiration: { type: 'PX', value: Math.round(this.lease * 1000) } })
          .sAdd(this.#keys.consumers, this.consumer)
          .exec()
          .catch(() => {}); // the next tick tries again; a lease lost meanwhile only causes duplicates
      }, Math.max(30, Math.round((this.lease * 1000) / 3)));
      this.#renewTimer.unref();
    } else if (!needed && this.#renewTimer !== undefined) {
      rawClearInterval(this.#renewTimer);
      this.#renewTimer = undefined;
    }
  }

  /** Gives back the items of dead consumers; at most twice per lease from this client. */
  async #reap(force = false): Promise<number> {
    const now = Date.now();
    if (!force && now - this.#lastReap < (this.lease * 1000) / 2) return 0;
    this.#lastReap = now;
    const k = this.#keys;
    return Number(await this.#run((c) => REAP.run(c, [k.consumers, k.pending, k.expired, k.taken, k.requeued], [this.#base])));
  }

  /** Runs the reaper now (it also runs by itself from `get`). Resolves the number of items given back. */
  reap(): Promise<number> {
    return this.#reap(true);
  }

  // ---- the local FIFO of getters: one blocking pop per consumer at a time --------------------

  #acquire(deadline: number | undefined): Promise<boolean> {
    if (!this.#locked) {
      this.#locked = true;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter = (): void => {
        if (timer !== undefined) rawClearTimeout(timer);
        resolve(true);
      };
      this.#lockWaiters.push(waiter);
      if (deadline !== undefined) {
        timer = rawSetTimeout(() => {
          const at = this.#lockWaiters.indexOf(waiter);
          if (at !== -1) this.#lockWaiters.splice(at, 1);
          resolve(false);
        }, Math.max(0, deadline - Date.now()));
      }
    });
  }

  #release(): void {
    const next = this.#lockWaiters.shift();
    if (next !== undefined) next(); // the lock passes on directly: no getter overtakes the queue
    else this.#locked = false;
  }

  async #getBlocker(): Promise<Blocker> {
    if (this.#blocker !== null) {
      if (this.#blocker.client.isReady) return this.#blocker;
      this.#killBlocker(); // its connection was lost while idle (a Redis restart): it does not reconnect
    }
    const client = newClient(this.#connection, false);
    await outsideScope(() => connectClient(client));
    const id = Number(await client.sendCommand(['CLIENT', 'ID']));
    return (this.#blocker = { client, id });
  }

  /** Ends the blocking pop at once: the server drops the connection before any later command. */
  #killBlocker(): void {
    const blocker = this.#blocker;
    if (blocker === null) return;
    this.#blocker = null;
    // A connection already lost is gone on the server too; after a restart its id may even
    // belong to another client, so it is not killed by id.
    if (!blocker.client.isOpen) return;
    this.#client?.sendCommand(['CLIENT', 'KILL', 'ID', String(blocker.id)]).catch(() => {});
    blocker.client.destroy();
  }

  async #reconcile(): Promise<void> {
    const k = this.#keys;
    await this.#run((c) => RECONCILE.run(c, [k.working, k.pending, k.taken, k.claims], this.#held.map((h) => h.entry)));
  }

  /** The core of `get`: resolves the entry now held, or undefined when the getter was killed. */
  async #take(op: GetOp, block: boolean, deadline: number | undefined): Promise<string | undefined> {
    // A non-blocking get is one atomic script: it needs no place in the line of blocking getters.
    const locking = block;
    if (locking && !(await this.#acquire(deadline))) throw new Empty();
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
          const blocker = await this.#getBlocker();
          if (op.aborted) return undefined;
          op.blocker = blocker;
          entry = await blocker.client.sendCommand(
            ['BLMOVE', k.pending, k.working, 'LEFT', 'RIGHT', String(Math.max(0.01, Math.min(left, BLOCK_SLICE_MS) / 1000))]);
        } catch (error) {
          // Killed, shut down, or the connection failed: the move may have happened without its
          // reply reaching us. The blocking connection is gone now, so nothing else can land in the
          // working list behind our back: give back what we do not know we hold.
          if (this.#blocker !== null) this.#killBlocker();
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
      if (locking) this.#release();
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
    return new Promise<T>((resolve, reject) => {
      const stop: ScopeResource = {
        dispose: (reason) => {
          op.aborted = true;
          if (op.blocker !== null && op.blocker === this.#blocker) this.#killBlocker();
          reject(reason);
        },
      };
      scope?.own(stop);
      outsideScope(() => this.#take(op, block, deadline)).then((entry) => {
        scope?.disown(stop);
        if (entry === undefined) return;
        const held = this.#held.find((h) => h.entry === entry)!;
        held.greenlet = getCurrent();
        if (scope !== undefined) {
          // Held by a greenlet: if it is killed before taskDone, the item goes back at once.
          held.scope = scope;
          held.owned = { dispose: () => this.#giveBack(held) };
          scope.own(held.owned);
          if (scope.aborted) return;
        }
        let item: T;
        try {
          item = this.#decode(entry);
        } catch (error) {
          reject(error);
          return;
        }
        resolve(item);
      }, (error) => {
        scope?.disown(stop);
        reject(error);
      });
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
      const unfinished = Number(await this.#run((c) => c.sendCommand(['GET', this.#keys.unfinished])) ?? 0);
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
    this.#killBlocker();
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
    const k = this.#keys;
    const c = await this.#connect();
    const [pending, done, failed, unfinished, requeued, consumers, expired, failedItems, taken, time] = await Promise.all([
      c.sendCommand(['LLEN', k.pending]), c.sendCommand(['GET', k.done]), c.sendCommand(['GET', k.failedCount]),
      c.sendCommand(['GET', k.unfinished]), c.sendCommand(['GET', k.requeued]), c.sendCommand(['SMEMBERS', k.consumers]),
      c.sendCommand(['LRANGE', k.expired, '0', '-1']), c.sendCommand(['LRANGE', k.failed, '0', '-1']),
      c.sendCommand(['HGETALL', k.taken]), c.sendCommand(['TIME']),
    ]) as unknown as [number, string | null, string | null, string | null, string | null, string[], string[], string[], unknown, string[]];
    let working = 0;
    for (const consumer of consumers) working += Number(await c.sendCommand(['LLEN', `${this.#base}working:${consumer}`]));
    const now = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
    const pairs: [string, string][] = Array.isArray(taken)
      ? Array.from({ length: taken.length / 2 }, (_, i) => [taken[2 * i] as string, taken[2 * i + 1] as string])
      : Object.entries(taken as Record<string, string>);
    const running = pairs
      .map(([entry, at]) => ({ entry, takenAt: Number(at) }))
      .filter((r) => now - r.takenAt >= longerMs)
      .sort((a, b) => a.takenAt - b.takenAt)
      .map((r) => ({ item: this.#decode(r.entry), takenAt: r.takenAt }));
    return {
      pending: Number(pending), working, done: Number(done ?? 0), failed: Number(failed ?? 0),
      unfinished: Number(unfinished ?? 0), requeued: Number(requeued ?? 0), consumers,
      expired: expired.map((s) => {
        const e = JSON.parse(s) as { entry: string; consumer: string; takenAt?: number; requeuedAt: number };
        return { item: this.#decode(e.entry), consumer: e.consumer, takenAt: e.takenAt ?? null, requeuedAt: e.requeuedAt };
      }),
      failedItems: failedItems.map((s) => {
        const e = JSON.parse(s) as { entry: string; reason: string; at: number };
        return { item: this.#decode(e.entry), reason: e.reason, at: e.at };
      }),
      running,
    };
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
    this.#killBlocker();
    for (const held of this.#held) if (held.owned !== undefined) held.scope?.disown(held.owned);
    this.#held = [];
    this.#closed = true;
    this.#renewLease();
    if (this.#renewTimer !== undefined) rawClearInterval(this.#renewTimer);
    if (client === null) return;
    const k = this.#keys;
    try {
      await RECONCILE.run(client, [k.working, k.pending, k.taken, k.claims], []);
      await client.sendCommand(['DEL', k.lease, k.claims]);
      await client.sendCommand(['SREM', k.consumers, this.consumer]);
    } catch {
      // The lease expires by itself and the reaper gives the items back.
    }
    client.destroy();
    this.#client = null;
  }
}
