import type net from 'node:net';
import { outsideScope, type Scope } from '../../runtime/scope.js';
import { invalidArgType } from '../../internal/validate.js';
import { BLOCKING } from './blocking.js';
import { ClientPatcher, runsOutside, type Method as AnyMethod } from './patcher.js';
import { ScopedRequest, noop, requestScope } from './request.js';

// ioredis. A command is made for the greenlet that made it: a dead greenlet's command is never
// written (also not when ioredis re-sends unanswered commands after a reconnect, nor when it
// flushes its offline queue), and a kill while a blocking command waits on the server unblocks
// exactly that connection with CLIENT UNBLOCK from a second connection, so the commands queued
// behind it proceed and nothing is popped for the dead greenlet. The connection's server-side id
// is asked with CLIENT ID on the connection itself, ahead of its first command. Commands that
// enableAutoPipelining gathers into an implicit pipeline are owned one by one too. A greenlet
// killed inside a transaction it opened with `multi({ pipeline: false })` (MULTI written at once,
// EXEC or DISCARD not yet) leaves it: DISCARD is written on that connection (see Transaction).
// Connecting and reconnecting run outside every scope: the client belongs to no greenlet.

interface Deque<T> {
  length: number;
  peekAt(index: number): T | undefined;
}

interface QueueItem { command: RedisCommand }

interface RedisCommand {
  name: string;
  args: unknown[];
  promise: Promise<unknown>;
  resolve(value: unknown): unknown;
  reject(error: unknown): void;
  [kRequest]?: CommandRequest;
  [kInternal]?: true;
  /** An internal DISCARD: the connection it is meant for (never written on another). */
  [kDiscardOn]?: net.Socket;
}

type CommandClass = new (name: string, args?: unknown[], options?: object) => RedisCommand;

/** The stand-in ioredis's Pipeline writes through (`{ isPipeline, destination }`). */
interface PipelineStream { isPipeline?: boolean }

interface RedisClient {
  status: string;
  stream?: net.Socket;
  commandQueue: Deque<QueueItem>;
  offlineQueue: Deque<QueueItem>;
  _autoPipelines?: Map<string, unknown>;
  duplicate(override?: object): RedisClient;
  call(...args: unknown[]): Promise<unknown>;
  disconnect(): void;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
  [kControl]?: RedisClient;
  [kTransaction]?: Transaction;
  /** The connection on which a dead greenlet's transaction was discarded (see write). */
  [kDiscarded]?: net.Socket;
}

interface RedisPipeline {
  redis?: RedisClient;
  replyPending: number;
}

type Method = (this: RedisClient, ...args: unknown[]) => unknown;

const kRequest = Symbol('nodevent.ioredis.request');
const kControl = Symbol('nodevent.ioredis.control');
const kInternal = Symbol('nodevent.ioredis.internal');
const kTransaction = Symbol('nodevent.ioredis.transaction');
const kDiscardOn = Symbol('nodevent.ioredis.discardOn');
const kDiscarded = Symbol('nodevent.ioredis.discarded');

/** Per connection (socket): its server-side id, once CLIENT ID was asked on it. */
const serverIds = new WeakMap<object, Promise<string | undefined>>();
/** Per connection: the last pipeline batch written on it (see askServerId). */
const lastBatch = new WeakMap<object, object>();

const isBlocking = (command: RedisCommand): boolean => typeof command.name === 'string' && BLOCKING.has(command.name.toLowerCase());

function contains(queue: Deque<QueueItem>, command: RedisCommand): boolean {
  for (let i = 0; i < queue.length; i++) if (queue.peekAt(i)?.command === command) return true;
  return false;
}

/**
 * Turns a dead greenlet's command that must still be written (a pipeline counts its writes and
 * its replies) into a PING: the server runs nothing of it.
 */
function neuter(command: RedisCommand, reason: unknown): void {
  command.name = 'ping';
  command.args = [];
  // Fails with the greenlet's reason when the PONG comes, once the pipeline counts on it.
  command.resolve = () => {
    command.reject(reason);
    return command.promise;
  };
}

/**
 * Asks CLIENT ID on the connection `redis` writes to now, once per connection, at a point where a
 * command written at once stays in order with the replies ioredis expects: a command written on
 * its own, or the first of a pipeline's batch (a batch's commands are written in one go, all
 * together, after they were all queued). Its answer comes before that of every later command.
 */
function askServerId(redis: RedisClient, original: Method, like: RedisCommand, via: unknown): void {
  const socket = redis.stream;
  if (redis.status !== 'ready' || socket === undefined || !socket.writable || serverIds.has(socket)) return;
  if (via !== undefined) {
    if ((via as PipelineStream).isPipeline !== true || lastBatch.get(socket) === via) return;
    lastBatch.set(socket, via as object);
  }
  const Command = like.constructor as CommandClass;
  const ask = new Command('client', ['id'], { replyEncoding: 'utf8' });
  ask[kInternal] = true;
  serverIds.set(socket, ask.promise.then((id) => String(id), () => undefined));
  outsideScope(() => original.call(redis, ask));
}

/** The second connection a client's cancellations go through, opened on first need. */
function controlOf(redis: RedisClient): RedisClient {
  const current = redis[kControl];
  if (current !== undefined && current.status !== 'end') return current;
  // It never reconnects by itself (no retryStrategy): one left reconnecting would keep the process
  // alive after the client was disconnected while Redis was away, when ioredis emits no 'end'. A
  // lost one is made anew when the next cancellation needs it.
  const control = outsideScope(() => redis.duplicate({
    lazyConnect: true, connectionName: undefined, enableOfflineQueue: true, enableAutoPipelining: false, retryStrategy: () => null,
  }));
  control.on('error', noop);
  if (current === undefined) {
    redis.once('end', () => {
      redis[kControl]?.disconnect();
      redis[kControl] = undefined;
    });
  }
  redis[kControl] = control;
  return control;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => outsideScope(() => setTimeout(resolve, ms)));

const replyWaits = new WeakMap<net.Socket, Promise<void>>();

/**
 * Resolves when `socket` has delivered more replies (ioredis's parser, a prepended listener, has
 * handled them by then) or closed. One pair of listeners per socket, however many wait.
 */
function nextReplies(socket: net.Socket): Promise<void> {
  let wait = replyWaits.get(socket);
  if (wait === undefined) {
    wait = new Promise((resolve) => {
      const done = (): void => {
        socket.off('data', done);
        socket.off('close', done);
        replyWaits.delete(socket);
        resolve();
      };
      socket.on('data', done);
      socket.on('close', done);
    });
    replyWaits.set(socket, wait);
  }
  return wait;
}

/**
 * Unblocks the connection on which `command` waits: CLIENT UNBLOCK <id> ERROR from the control
 * connection ends the wait without touching the list. The server runs a connection's commands in
 * order, and UNBLOCK hits whatever waits on it, so this waits (for replies, not on a timer) until
 * `command` leads the connection's queue; then only a command still on its way is retried
 * shortly. Falls back to closing that one connection (ioredis reconnects; the command is not
 * re-sent) when the id is unknown or the server never sees the command block.
 */
async function unblock(redis: RedisClient, command: RedisCommand): Promise<void> {
  const socket = redis.stream;
  if (socket === undefined) return;
  const serverId = serverIds.get(socket);
  let attempt = 0;
  while (redis.stream === socket && !socket.destroyed && contains(redis.commandQueue, command)) {
    if (redis.commandQueue.peekAt(0)?.command !== command) {
      await nextReplies(socket);
      continue;
    }
    // Asked ahead of every command on this connection: answered by now.
    const id = await serverId;
    if (id === undefined || attempt >= 50) break;
    try {
      if (Number(await outsideScope(() => controlOf(redis).call('CLIENT', 'UNBLOCK', id, 'ERROR'))) === 1) return;
    } catch {
      break;
    }
    await pause(Math.min(2 + attempt++, 20));
  }
  if (redis.stream === socket && contains(redis.commandQueue, command)) socket.destroy();
}

/** True when a command's `name` is `verb` (lower case) in any letter case (`call('MULTI')`). */
function nameIs(name: unknown, verb: string): boolean {
  return typeof name === 'string' && name.length === verb.length && (name === verb || ((name.charCodeAt(0) | 0x20) === verb.charCodeAt(0) && name.toLowerCase() === verb));
}

/** `command` was written just now: the last command whose reply ioredis awaits. */
function justWritten(redis: RedisClient, command: RedisCommand): boolean {
  const queue = redis.commandQueue;
  return queue.length > 0 && queue.peekAt(queue.length - 1)?.command === command;
}

const isReplyError = (error: unknown): boolean => (error as { name?: unknown } | null)?.name === 'ReplyError';

/**
 * The transaction open on a client's connection: a MULTI written on its own (`multi({ pipeline:
 * false })`, `call('MULTI')`), its EXEC or DISCARD not written yet (everything written on that
 * connection meanwhile is queued in it, whoever wrote it). When the scope of the greenlet whose
 * MULTI it is aborts (killed, or its timeout fired), DISCARD is written on that same connection,
 * outside every scope, behind what was written before and ahead of what comes after: the server
 * runs none of the queued commands, and the later commands of the other greenlets run as usual.
 * It listens to the scope's signal, not as a resource the scope owns: a kill that reaches nothing
 * the body waits on is still delivered to its next request, so the dead greenlet's EXEC is never
 * written. A connection that closed took its transaction with it: then nothing is written (the
 * server would answer an error to a stray DISCARD).
 */
class Transaction {
  constructor(
    readonly redis: RedisClient,
    readonly socket: net.Socket,
    readonly original: Method,
    readonly multi: RedisCommand,
    readonly signal: AbortSignal | undefined,
  ) {}

  readonly onAbort = (): void => {
    if (this.redis[kTransaction] !== this) return;
    this.end();
    try {
      this.discard();
    } catch {
      // A kill must not fail on it: at worst the connection stays in the transaction.
    }
  };

  /** Its EXEC or DISCARD was written, the server refused its MULTI, or it is discarded now. */
  end(): void {
    if (this.redis[kTransaction] === this) this.redis[kTransaction] = undefined;
    this.signal?.removeEventListener('abort', this.onAbort);
  }

  private discard(): void {
    const { redis, socket } = this;
    if (redis.stream !== socket || socket.destroyed || !socket.writable || (redis.status !== 'ready' && redis.status !== 'connect')) return;
    const Command = this.multi.constructor as CommandClass;
    const discard = new Command('discard', [], { replyEncoding: 'utf8' });
    discard[kInternal] = true;
    discard[kDiscardOn] = socket;
    // Its reply (OK, or an error reply) is matched to it in the connection's queue; nobody awaits it.
    discard.promise.catch(noop);
    outsideScope(() => this.original.call(redis, discard));
    redis[kDiscarded] = socket;
  }
}

/** A MULTI was handed to ioredis: tracks the transaction it opens if it was written now. */
function multiWritten(redis: RedisClient, original: Method, command: RedisCommand): void {
  const socket = redis.stream;
  if (socket === undefined || !justWritten(redis, command)) return;
  const open = redis[kTransaction];
  if (open !== undefined) {
    // A MULTI inside a transaction: the server refuses it, the open transaction stays.
    if (open.socket === socket) return;
    open.end(); // on a connection that closed since
  }
  const scope = command[kRequest]?.scope;
  const transaction = new Transaction(redis, socket, original, command, scope?.signal);
  redis[kTransaction] = transaction;
  command.promise.then(undefined, (error: unknown) => {
    if (isReplyError(error)) transaction.end();
  });
  if (transaction.signal?.aborted === true) transaction.onAbort();
  else transaction.signal?.addEventListener('abort', transaction.onAbort, { once: true });
}

/**
 * Hands `args` to ioredis's sendCommand (writing, or a lazy connect it may start, belongs to the
 * client, not to the greenlet) and follows non-pipelined transactions. Clients that never write a
 * MULTI pay a property read and a string-length comparison per command.
 */
function write(redis: RedisClient, original: Method, args: unknown[], command: RedisCommand, stream: unknown): unknown {
  const discarded = redis[kDiscarded];
  if (discarded !== undefined) {
    if (nameIs(command.name, 'multi')) redis[kDiscarded] = undefined;
    else if (stream === undefined && nameIs(command.name, 'discard')) {
      redis[kDiscarded] = undefined;
      // The first DISCARD after a dead greenlet's transaction was discarded, no MULTI since: its
      // cleanup code's (unowned). Answered here, as ioredis answers a QUIT it need not send: the
      // server, out of the transaction, would answer an error.
      if (redis.stream === discarded) {
        command.resolve(Buffer.from('OK'));
        return command.promise;
      }
    }
  }
  const result = outsideScope(() => original.apply(redis, args));
  const open = redis[kTransaction];
  if (open !== undefined && (nameIs(command.name, 'exec') || nameIs(command.name, 'discard')) && justWritten(redis, command)) open.end();
  // A MULTI of an explicit pipeline is written with its EXEC, in one batch: nothing to follow.
  // One that enableAutoPipelining gathered (owned by its greenlet) is followed.
  if (nameIs(command.name, 'multi') && (stream === undefined || command[kRequest] !== undefined)) multiWritten(redis, original, command);
  return result;
}

/** One command of one greenlet. */
class CommandRequest extends ScopedRequest {
  constructor(scope: Scope, readonly redis: RedisClient, readonly command: RedisCommand, readonly pipeline?: RedisPipeline) {
    super(scope);
  }

  protected cancel(reason: unknown): void {
    const { redis, command, pipeline } = this;
    const sent = contains(redis.commandQueue, command);
    // Gathered in an auto-pipeline that has not run yet: the pipeline counts on every command's
    // write and reply, so it is written, as a PING, and fails when the PONG comes (failing it now,
    // before the pipeline runs, would make the pipeline miscount and never answer anyone).
    if (!sent && pipeline !== undefined && !(pipeline.replyPending > 0)) {
      neuter(command, reason);
      return;
    }
    // The greenlet is dead; its command fails with its own reason (the reply, if any, is ignored).
    command.reject(reason);
    if (sent && isBlocking(command)) void unblock(redis, command).catch(noop);
  }
}

function sendCommand(original: Method): Method {
  return function (this: RedisClient, ...args: unknown[]) {
    const command = args[0] as RedisCommand;
    const stream = args[1];
    if (command?.[kInternal] === true) {
      // An internal DISCARD that ioredis re-sends after a reconnect (or flushes from its offline
      // queue onto a new connection): the server forgot that transaction with the old connection.
      const on = command[kDiscardOn];
      if (on !== undefined && on !== this.stream) {
        command.reject(new Error('DISCARD not sent: its connection closed'));
        return command.promise;
      }
      return outsideScope(() => original.apply(this, args));
    }
    askServerId(this, original, command, stream);
    const existing = command?.[kRequest];
    if (existing !== undefined) {
      // ioredis re-sends unanswered commands after a reconnect and flushes its offline queue
      // through here: a dead greenlet's command stays unsent (within a pipeline's batch, which
      // counts its writes, it goes as a PING).
      if (existing.cancelled) {
        if (stream === undefined) return command.promise;
        neuter(command, existing.reason);
      }
      return write(this, original, args, command, stream);
    }
    const scope = stream === undefined ? requestScope() : undefined;
    if (scope === undefined) return write(this, original, args, command, stream);
    if (scope.aborted) {
      command.reject(scope.reason);
      return command.promise;
    }
    own(scope, this, command);
    return write(this, original, args, command, stream);
  };
}

function own(scope: Scope, redis: RedisClient, command: RedisCommand, pipeline?: RedisPipeline): void {
  const request = new CommandRequest(scope, redis, command, pipeline);
  command[kRequest] = request;
  request.attach();
  const done = (): void => request.done();
  command.promise.then(done, done);
}

/**
 * A command gathered into a pipeline. The implicit pipelines of enableAutoPipelining hold single
 * commands of any greenlet, each with its own promise: each belongs to the greenlet that made it.
 * An explicit `pipeline()`/`multi()` is one request of its caller and stays unowned.
 */
function pipelineSendCommand(original: AnyMethod): AnyMethod {
  return function (this: RedisPipeline, ...args: unknown[]) {
    const command = args[0] as RedisCommand;
    const redis = this.redis;
    const auto = redis?._autoPipelines;
    let isAuto = false;
    if (auto !== undefined && auto.size > 0 && command?.[kRequest] === undefined) {
      for (const p of auto.values()) if (p === this) isAuto = true;
    }
    const scope = isAuto ? requestScope() : undefined;
    if (scope !== undefined && redis !== undefined) {
      // Made in a dead scope: never run, and not failed either (see CommandRequest.cancel).
      if (scope.aborted) neuter(command, scope.reason);
      else own(scope, redis, command, this);
    }
    return original.apply(this, args);
  };
}

function pipeline(original: AnyMethod): AnyMethod {
  return function (this: RedisClient, ...args: unknown[]) {
    const result = original.apply(this, args);
    if (result !== null && typeof result === 'object') {
      const proto = Object.getPrototypeOf(result) as object | null;
      if (proto !== null) patcher.wrap(proto, 'Pipeline.prototype', { sendCommand: pipelineSendCommand });
    }
    return result;
  };
}

const patcher = new ClientPatcher('ioredis');

// Patches ioredis's `Redis` class (ioredis/built/Redis.js). Connecting (also from the
// constructor, or lazily on the first command) belongs to no greenlet.
function patchIoredisClass(Redis: { prototype: object }): void {
  patcher.wrap(Redis.prototype, 'Redis.prototype', { sendCommand, connect: runsOutside, pipeline });
}

/**
 * Makes ioredis follow greenlets. A command belongs to the greenlet that made it: killed while
 * it is queued (offline, or behind others), it is never written — also not re-sent after a
 * reconnect; killed while a blocking command (BLPOP, BRPOP, BLMOVE, XREAD BLOCK, ..., in any
 * letter case) waits on the server, that connection is unblocked with `CLIENT UNBLOCK` from a
 * second connection once the command leads the connection's queue, so the other greenlets'
 * commands proceed and nothing is popped for the dead one. The connection's id is asked with
 * `CLIENT ID` on the connection itself (over TCP, IPv6 or a unix socket alike). With
 * `enableAutoPipelining` each gathered command still belongs to its greenlet. A greenlet killed
 * inside a transaction it opened with `multi({ pipeline: false })`, before its EXEC was written,
 * leaves it: `DISCARD` is written on that connection, so none of its queued commands runs and the
 * other greenlets' later commands are not queued. Connecting and
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
    if (ioredis === null || (typeof ioredis !== 'object' && typeof ioredis !== 'function')) throw invalidArgType('ioredis', 'the ioredis module or its Redis class', ioredis);
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
