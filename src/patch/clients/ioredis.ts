import type net from 'node:net';
import { outsideScope, type Scope } from '../../runtime/scope.js';
import { invalidArgType } from '../../internal/validate.js';
import { BLOCKING } from './blocking.js';
import { ClientPatcher, runsOutside } from './patcher.js';
import { ScopedRequest, noop, requestScope } from './request.js';

// ioredis. A command is made for the greenlet that made it: a dead greenlet's command is never
// written (also not when ioredis re-sends unanswered commands after a reconnect, nor when it
// flushes its offline queue), and a kill while a blocking command waits on the server unblocks
// exactly that connection with CLIENT UNBLOCK from a second connection, so the commands queued
// behind it proceed and nothing is popped for the dead greenlet. Connecting and reconnecting run
// outside every scope: the client belongs to no greenlet.


interface Deque<T> {
  length: number;
  peekAt(index: number): T | undefined;
}

interface QueueItem { command: RedisCommand }

interface RedisCommand {
  name: string;
  promise: Promise<unknown>;
  reject(error: unknown): void;
  [kRequest]?: CommandRequest;
}

interface RedisClient {
  status: string;
  stream?: net.Socket;
  commandQueue: Deque<QueueItem>;
  offlineQueue: Deque<QueueItem>;
  duplicate(override?: object): RedisClient;
  call(...args: unknown[]): Promise<unknown>;
  disconnect(): void;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
  [kControl]?: RedisClient;
}

type Method = (this: RedisClient, ...args: unknown[]) => unknown;

const kRequest = Symbol('nodevent.ioredis.request');
const kControl = Symbol('nodevent.ioredis.control');

function contains(queue: Deque<QueueItem>, command: RedisCommand): boolean {
  for (let i = 0; i < queue.length; i++) if (queue.peekAt(i)?.command === command) return true;
  return false;
}

/** The second connection a client's cancellations go through, opened on first need. */
function controlOf(redis: RedisClient): RedisClient {
  let control = redis[kControl];
  if (control === undefined) {
    control = outsideScope(() => redis.duplicate({ lazyConnect: true, connectionName: undefined, enableOfflineQueue: true }));
    control.on('error', noop);
    redis[kControl] = control;
    redis.once('end', () => {
      redis[kControl] = undefined;
      control!.disconnect();
    });
  }
  return control;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => outsideScope(() => setTimeout(resolve, ms)));

/**
 * Unblocks the connection on which `command` waits. The server sees the client by the address
 * of our end of the socket; CLIENT UNBLOCK ... ERROR ends the wait without touching the list.
 * While the command is still written behind others it is not blocked yet: try again shortly.
 * Falls back to closing that one connection (ioredis reconnects; the command is not re-sent).
 */
async function unblock(redis: RedisClient, command: RedisCommand): Promise<void> {
  const stream = redis.stream;
  if (stream === undefined) return;
  const addr = `addr=${stream.localAddress}:${stream.localPort} `;
  const control = controlOf(redis);
  for (let attempt = 0; attempt < 50; attempt++) {
    if (redis.stream !== stream || !contains(redis.commandQueue, command)) return; // answered, or the connection is gone
    try {
      const list = String(await outsideScope(() => control.call('CLIENT', 'LIST', 'TYPE', 'normal')));
      const line = list.split('\n').find((l) => l.includes(addr));
      const id = line === undefined ? undefined : /(?:^|\s)id=(\d+)/.exec(line)?.[1];
      // Only while our command leads the queue: the server runs a connection's commands in order.
      if (id !== undefined && redis.commandQueue.peekAt(0)?.command === command) {
        if (Number(await outsideScope(() => control.call('CLIENT', 'UNBLOCK', id, 'ERROR'))) === 1) return;
      }
    } catch {
      break;
    }
    await pause(Math.min(2 + attempt, 20));
  }
  if (redis.stream === stream && contains(redis.commandQueue, command)) stream.destroy();
}

/** One command of one greenlet. */
class CommandRequest extends ScopedRequest {
  constructor(scope: Scope, readonly redis: RedisClient, readonly command: RedisCommand) {
    super(scope);
  }

  protected cancel(reason: unknown): void {
    const { redis, command } = this;
    const sent = contains(redis.commandQueue, command);
    // The greenlet is dead; its command fails with its own reason (the reply, if any, is ignored).
    command.reject(reason);
    if (sent && BLOCKING.has(command.name)) void unblock(redis, command).catch(noop);
  }
}

function sendCommand(original: Method): Method {
  return function (this: RedisClient, ...args: unknown[]) {
    const command = args[0] as RedisCommand;
    const stream = args[1];
    const existing = command?.[kRequest];
    if (existing !== undefined) {
      // ioredis re-sends unanswered commands after a reconnect and flushes its offline queue
      // through here: a dead greenlet's command stays unsent.
      if (existing.cancelled) return command.promise;
      return outsideScope(() => original.apply(this, args));
    }
    const scope = stream === undefined ? requestScope() : undefined;
    if (scope === undefined) return outsideScope(() => original.apply(this, args));
    if (scope.aborted) {
      command.reject(scope.reason);
      return command.promise;
    }
    const request = new CommandRequest(scope, this, command);
    command[kRequest] = request;
    request.attach();
    const done = (): void => request.done();
    command.promise.then(done, done);
    // Writing (and a lazy connect it may start) belongs to the client, not to the greenlet.
    return outsideScope(() => original.apply(this, args));
  };
}

const patcher = new ClientPatcher('ioredis');

// Patches ioredis's `Redis` class (ioredis/built/Redis.js). Connecting (also from the
// constructor, or lazily on the first command) belongs to no greenlet.
function patchIoredisClass(Redis: { prototype: object }): void {
  patcher.wrap(Redis.prototype, 'Redis.prototype', { sendCommand, connect: runsOutside });
}

/**
 * Makes ioredis follow greenlets. A command belongs to the greenlet that made it: killed while
 * it is queued (offline, or behind others), it is never written — also not re-sent after a
 * reconnect; killed while a blocking command (BLPOP, BRPOP, BLMOVE, XREAD BLOCK, ...) waits on
 * the server, that connection is unblocked with `CLIENT UNBLOCK` from a second connection, so the
 * other greenlets' commands proceed and nothing is popped for the dead one. Connecting and
 * reconnecting happen outside every scope: a client created lazily inside a greenlet survives it.
 *
 * Without an argument it patches the ioredis the application loads (now or later); pass the
 * module (or its `Redis` class) to patch that copy. `patchAll()` calls it. Idempotent.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { spawn } from 'nodevent';
 * import { patchIoredis } from 'nodevent/patch';
 * patchIoredis(Redis);
 * const redis = new Redis(6379, '127.0.0.1');
 * const g = spawn(() => redis.blpop('jobs', 0));
 * await g.kill(); // the server unblocks that BLPOP; no job is popped for the dead greenlet
 * ```
 */
export function patchIoredis(ioredis?: object): void {
  if (ioredis !== undefined) {
    const Redis = (ioredis as { Redis?: unknown }).Redis ?? ioredis;
    if (typeof Redis !== 'function' || typeof (Redis as { prototype: { sendCommand?: unknown } }).prototype.sendCommand !== 'function') {
      throw invalidArgType('ioredis', 'the ioredis module or its Redis class', ioredis);
    }
    patchIoredisClass(Redis as { prototype: object });
    return;
  }
  patcher.watch([
    { module: 'ioredis', file: 'built/Redis.js', patch: (exports) => patchIoredisClass((exports as { default: { prototype: object } }).default) },
  ]);
}

/**
 * Puts ioredis back as it was and stops watching for new loads.
 *
 * @example
 * ```ts runnable
 * import { patchIoredis, unpatchIoredis } from 'nodevent/patch';
 * patchIoredis();
 * unpatchIoredis();
 * ```
 */
export function unpatchIoredis(): void {
  patcher.unpatch();
}
