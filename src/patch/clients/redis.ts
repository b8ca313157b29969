import { outsideScope, scopeStorage, type Scope } from '../../runtime/scope.js';
import { invalidArgType } from '../../internal/validate.js';
import { BLOCKING } from './blocking.js';
import { ClientPatcher, type Method as AnyMethod } from './patcher.js';
import { ScopedRequest, noop, requestScope } from './request.js';

// node-redis 5 (@redis/client). Its queue takes an `abortSignal` per command and drops a command
// not yet written when the signal fires; the patch gives every command of a greenlet a signal of
// its own and learns, through it, whether the command was written (node-redis stops listening
// when it writes). A written blocking command is unblocked with CLIENT UNBLOCK from a second
// connection, by the connection's server-side id, asked for on every 'ready', once it is the
// oldest blocking command written on the connection (however long the ones before it wait). A
// pool's (createClientPool) command runs for the greenlet that made it, and a dead greenlet's
// command queued in the pool is dropped. Connecting and reconnecting run outside every scope.

type Listener = () => void;

interface NodeRedisClient {
  _self?: NodeRedisClient;
  isReady: boolean;
  isPubSubActive?: boolean;
  duplicate(overrides?: object): NodeRedisClient;
  connect(): Promise<unknown>;
  sendCommand(args: unknown[], options?: Record<string, unknown>): Promise<unknown>;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
  destroy?(): void;
  [kServerId]?: string;
  [kControl]?: Promise<NodeRedisClient>;
  [kWatching]?: true;
  /** Blocking commands written and not answered yet, oldest first. */
  [kBlocked]?: CommandSignal[];
  /** Unblocks waiting for their command to become the oldest (see nextChange). */
  [kChange]?: (() => void)[];
}

type Method = (this: NodeRedisClient, ...args: unknown[]) => unknown;

const kServerId = Symbol('nodevent.redis.serverId');
const kControl = Symbol('nodevent.redis.control');
const kWatching = Symbol('nodevent.redis.watching');
const kInternal = Symbol('nodevent.redis.internal');
const kBlocked = Symbol('nodevent.redis.blocked');
const kChange = Symbol('nodevent.redis.change');

/**
 * What node-redis needs of an AbortSignal (`aborted`, add/removeEventListener), made so that the
 * patch sees when node-redis writes the command: it removes its listener then.
 */
class CommandSignal {
  aborted = false;
  reason: unknown = undefined;
  listener: Listener | undefined = undefined;
  written = false;
  constructor(readonly onWritten?: (signal: CommandSignal) => void) {}
  addEventListener(_type: string, listener: Listener): void {
    this.listener = listener;
  }
  removeEventListener(_type: string, listener: Listener): void {
    if (this.listener === listener) {
      this.listener = undefined;
      this.written = true;
      this.onWritten?.(this);
    }
  }
  /** Fires node-redis's listener: the command leaves the write queue. False when already written. */
  abort(reason: unknown): boolean {
    if (this.aborted) return false;
    this.aborted = true;
    this.reason = reason;
    const listener = this.listener;
    this.listener = undefined;
    listener?.();
    return listener !== undefined;
  }
}

/** The client itself (methods may be called on node-redis's option proxies). */
const self = (client: NodeRedisClient): NodeRedisClient => client._self ?? client;

function controlOf(client: NodeRedisClient): Promise<NodeRedisClient> {
  let control = client[kControl];
  if (control === undefined) {
    control = outsideScope(async () => {
      const duplicate = client.duplicate();
      duplicate.on('error', noop);
      await duplicate.connect();
      return duplicate;
    });
    client[kControl] = control;
    control.catch(() => { client[kControl] = undefined; });
  }
  return control;
}

/** Asks the server for the connection's id as soon as it is ready, ahead of queued commands. */
function watch(client: NodeRedisClient, original: Method): void {
  if (client[kWatching] === true) return;
  client[kWatching] = true;
  client.on('ready', () => {
    client[kServerId] = undefined;
    // A RESP2 subscriber may send nothing but (un)subscribe commands; it runs no blocking ones.
    if (client.isPubSubActive === true) return;
    (original.call(client, ['CLIENT', 'ID'], { asap: true, [kInternal]: true }) as Promise<unknown>).then(
      (id) => {
        client[kServerId] = String(id);
        changed(client);
      },
      noop,
    );
  });
  const forget = (): void => {
    client[kServerId] = undefined;
    changed(client);
  };
  client.on('reconnecting', forget);
  client.on('end', () => {
    forget();
    const control = client[kControl];
    client[kControl] = undefined;
    void control?.then((c) => c.destroy?.(), noop);
  });
}

/**
 * Resolves at the next change that may let a waiting unblock act: a blocking command of `client`
 * answered, its server-side id learned, the connection lost or ended. No timer: a blocking command
 * may wait behind another for as long as that one waits.
 */
function nextChange(client: NodeRedisClient): Promise<void> {
  return new Promise((resolve) => (client[kChange] ??= []).push(resolve));
}

function changed(client: NodeRedisClient): void {
  const waiters = client[kChange];
  if (waiters === undefined || waiters.length === 0) return;
  client[kChange] = undefined;
  for (const resolve of waiters) resolve();
}

/**
 * Unblocks the connection on which `request`'s blocking command waits, with CLIENT UNBLOCK <id>
 * ERROR from the control connection. UNBLOCK hits whichever command waits on the connection, and
 * the server runs a connection's commands in order: this waits (as long as the command is
 * unanswered, on events, not on a timer) until it is the oldest blocking command written on it,
 * then retries shortly only while the command is still on its way to the server.
 */
async function unblock(client: NodeRedisClient, request: CommandRequest): Promise<void> {
  const control = await controlOf(client);
  let attempt = 0;
  while (!request.answered) {
    const id = client[kServerId];
    if (id === undefined || client[kBlocked]?.[0] !== request.signal) {
      await nextChange(client);
      attempt = 0;
      continue;
    }
    if (Number(await outsideScope(() => control.sendCommand(['CLIENT', 'UNBLOCK', id, 'ERROR']))) === 1) return;
    // Ours is the oldest, but the server has not seen it block yet: it is still on its way (or
    // answered already, then `answered` ends this).
    const delay = attempt < 50 ? Math.min(2 + attempt, 20) : 1000;
    attempt++;
    await new Promise((resolve) => outsideScope(() => setTimeout(resolve, delay)));
  }
}

/** One command of one greenlet. */
class CommandRequest extends ScopedRequest {
  answered = false;
  constructor(scope: Scope, readonly client: NodeRedisClient, readonly signal: CommandSignal, readonly blocking: boolean) {
    super(scope);
  }

  protected cancel(reason: unknown): void {
    if (this.signal.abort(reason)) return; // never written
    if (this.blocking) void unblock(this.client, this).catch(noop);
  }
}

function sendCommand(original: Method): Method {
  return function (this: NodeRedisClient, ...args: unknown[]) {
    const [command, options] = args as [unknown[], Record<string | symbol, unknown> | undefined];
    const scope = options?.[kInternal] === true ? undefined : requestScope();
    if (!Array.isArray(command)) return outsideScope(() => original.apply(this, args));
    const blocking = BLOCKING.has(String(command[0]).toLowerCase());
    if (scope === undefined && !blocking) return outsideScope(() => original.apply(this, args));
    if (scope?.aborted === true) return Promise.reject(scope.reason);
    const client = self(this);
    const blocked = blocking ? (client[kBlocked] ??= []) : undefined;
    const signal = new CommandSignal(blocked === undefined ? undefined : (s) => blocked.push(s));
    const userSignal = options?.abortSignal as AbortSignal | undefined;
    const onUserAbort = (): void => { signal.abort(userSignal!.reason); };
    if (userSignal !== undefined) {
      if (userSignal.aborted) return outsideScope(() => original.apply(this, args));
      userSignal.addEventListener('abort', onUserAbort, { once: true });
    }
    const request = scope === undefined ? undefined : new CommandRequest(scope, client, signal, blocking);
    request?.attach();
    const promise = outsideScope(() => original.call(this, command, { ...options, abortSignal: signal })) as Promise<unknown>;
    const settle = (): void => {
      if (blocked !== undefined) {
        const i = blocked.indexOf(signal);
        if (i !== -1) blocked.splice(i, 1);
        if (i === 0) changed(client);
      }
      if (request !== undefined) {
        request.answered = true;
        request.done();
      }
      userSignal?.removeEventListener('abort', onUserAbort);
    };
    return promise.then(
      (value) => { settle(); return value; },
      (error: unknown) => {
        settle();
        // node-redis says AbortError; the greenlet died of its own reason.
        throw request?.cancelled === true ? request.reason : error;
      },
    );
  };
}

function connect(original: Method, send: Method): Method {
  return function (this: NodeRedisClient, ...args: unknown[]) {
    watch(self(this), send);
    return outsideScope(() => original.apply(this, args));
  };
}

/**
 * `RedisClientPool.execute(fn)`, through which every command (and MULTI) of a pool goes: `fn`
 * runs when a pooled client is free, from whichever task gave one back. It runs in the scope of
 * the greenlet that made the command (so its command is that greenlet's, unblockable like on a
 * plain client), or outside every scope; a dead greenlet's task is dropped when its turn comes,
 * before anything is sent, and the client goes on to the next task.
 */
function poolExecute(original: AnyMethod): AnyMethod {
  return function (this: unknown, ...args: unknown[]) {
    const fn = args[0];
    if (typeof fn !== 'function') return original.apply(this, args);
    const scope = requestScope();
    if (scope?.aborted === true) return Promise.reject(scope.reason);
    const task = scope === undefined
      ? (client: unknown) => outsideScope(() => (fn as AnyMethod)(client))
      : (client: unknown) => {
        if (scope.aborted) return Promise.reject(scope.reason);
        return scopeStorage.run(scope, () => (fn as AnyMethod)(client));
      };
    return original.call(this, task, ...args.slice(1));
  };
}

const patcher = new ClientPatcher('redis');

// Patches node-redis's `RedisClient` class (@redis/client/dist/lib/client/index.js).
function patchRedisClientClass(RedisClient: { prototype: object }): void {
  const send = (RedisClient.prototype as { sendCommand?: Method }).sendCommand;
  if (typeof send !== 'function') return;
  patcher.wrap(RedisClient.prototype, 'RedisClient.prototype', { sendCommand, connect: (original) => connect(original, send) });
}

// Patches node-redis's `RedisClientPool` class (@redis/client/dist/lib/client/pool.js).
function patchRedisPoolClass(RedisClientPool: unknown): void {
  if (typeof RedisClientPool === 'function') patcher.wrap((RedisClientPool as { prototype: object }).prototype, 'RedisClientPool.prototype', { execute: poolExecute });
}

/**
 * Makes node-redis 5 (`redis`, `@redis/client`) follow greenlets. A command belongs to the
 * greenlet that made it: killed before node-redis wrote it, it leaves the queue and is never
 * written; killed while a blocking command (BLPOP, BRPOP, XREAD BLOCK, ...) waits on the server,
 * that connection is unblocked with `CLIENT UNBLOCK` from a second connection, as soon as no
 * other blocking command waits before it. The command fails with the greenlet's own reason. In a
 * `createClientPool()` pool a command waiting for a free client is dropped when its greenlet dies,
 * and the pooled clients follow the same rules. `connect()` and every reconnect run outside every
 * scope. Patch before the client connects: the connection's server-side id is learned on 'ready'.
 *
 * Without an argument it patches the node-redis the application loads (now or later); pass the
 * client class (`Object.getPrototypeOf(createClient()).constructor`) to patch that copy (its
 * clients only: pools are patched by the call without argument).
 * `patchAll()` calls it. Idempotent.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * import { spawn } from 'nodevent';
 * import { patchRedis } from 'nodevent/patch';
 * patchRedis();
 * const client = await createClient({ url: 'redis://127.0.0.1:6379' }).connect();
 * const g = spawn(() => client.blPop('jobs', 0));
 * await g.kill(); // the server unblocks it; the next command on the client runs at once
 * ```
 */
export function patchRedis(RedisClient?: object): void {
  if (RedisClient !== undefined) {
    if (typeof RedisClient !== 'function' || typeof (RedisClient as { prototype: { sendCommand?: unknown } }).prototype?.sendCommand !== 'function') {
      throw invalidArgType('RedisClient', "node-redis's client class", RedisClient);
    }
    patchRedisClientClass(RedisClient as { prototype: object });
    return;
  }
  patcher.watch([
    { module: '@redis/client', file: 'dist/lib/client/index.js', patch: (exports) => patchRedisClientClass((exports as { default: { prototype: object } }).default) },
    { module: '@redis/client', file: 'dist/lib/client/pool.js', patch: (exports) => patchRedisPoolClass((exports as { RedisClientPool?: unknown }).RedisClientPool) },
  ]);
}

/**
 * Puts node-redis back as it was and stops watching for new loads.
 *
 * @example
 * ```ts runnable
 * import { patchRedis, unpatchRedis } from 'nodevent/patch';
 * patchRedis();
 * unpatchRedis();
 * ```
 */
export function unpatchRedis(): void {
  patcher.unpatch();
}
