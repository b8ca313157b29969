import net from 'node:net';
import { outsideScope, scopeStorage, type Scope } from '../../runtime/scope.js';
import { invalidArgType } from '../../internal/validate.js';
import { markShared } from '../net.js';
import { ClientPatcher, poolOwnCheckout, takePoolOwnCheckout } from './patcher.js';
import { ScopedRequest, noop, requestScope } from './request.js';

// mysql2. A command (query, execute, prepare) runs for the greenlet that made it: it leaves the
// connection's queue unsent when that greenlet dies, and a running query is stopped with
// `KILL QUERY <thread id>` sent on a connection of its own (the connection stays usable; its queue
// waits until the server has answered, so the kill cannot hit the next statement). The pool
// hands connections out in the asking greenlet's scope and never to a dead one. A connection a
// greenlet creates itself (mysql2 connects in the constructor) belongs to that greenlet: a kill
// stops its query and destroys it, without an unheard 'error'; so does a connection a greenlet
// checked out of a pool, also between its statements (the server rolls back its transaction).

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Callback = (...args: any[]) => unknown;

interface Mysql2Command {
  constructor: { name: string };
  onResult?: Callback;
  listenerCount(event: string): number;
  emit(event: string, ...args: unknown[]): boolean;
  once(event: string, listener: Callback): unknown;
}

interface RingQueue<T> {
  length: number;
  unshift(item: T): unknown;
  peekAt(index: number): T | undefined;
  removeOne(index: number): unknown;
}

interface Mysql2Connection {
  config: object;
  threadId: number | null;
  stream?: net.Socket;
  _command: Mysql2Command | null | undefined;
  _commands: RingQueue<Mysql2Command>;
  _pool?: unknown;
  _closing?: boolean;
  listenerCount(event: string): number;
  on(event: string, listener: Callback): unknown;
  once(event: string, listener: Callback): unknown;
  destroy(): void;
  release?(): void;
  handlePacket(packet?: unknown): void;
  [kCheckout]?: Checkout;
  [kKilling]?: HoldQueue;
}

interface Mysql2Pool {
  _connectionQueue: RingQueue<Callback>;
}

const kCheckout = Symbol('nodevent.mysql2.checkout');
const kKilling = Symbol('nodevent.mysql2.killing');
const STATEMENTS = new Set(['Query', 'Execute', 'Prepare']);

function failCommand(cmd: Mysql2Command, reason: unknown): void {
  if (typeof cmd.onResult === 'function') cmd.onResult(reason);
  else if (cmd.listenerCount('error') > 0) cmd.emit('error', reason);
  // The pool's query() waits for 'end' to give the connection back.
  cmd.emit('end');
}

function removeFrom<T>(queue: RingQueue<T>, item: T): boolean {
  for (let i = 0; i < queue.length; i++) {
    if (queue.peekAt(i) === item) {
      queue.removeOne(i);
      return true;
    }
  }
  return false;
}

let BaseConnection: (new (opts: { config: object }) => Mysql2Connection & { query(sql: string, cb: Callback): unknown; end(cb?: Callback): unknown }) | undefined;

/**
 * Holds a connection's queue while a `KILL QUERY` for it is on its way: put at the head of the
 * queue, it is what mysql2 starts when the killed statement ends, and it lets the next command
 * start only once the server has answered the KILL. Without it a kill that arrives after the
 * statement ended would stop the next statement on the connection, another greenlet's.
 */
class HoldQueue {
  readonly _commandName = 'HoldQueue';
  released = false;
  constructor(readonly conn: Mysql2Connection) {}
  /** Called by mysql2 to start (and, through release(), to resume) the command: true when done. */
  execute(): boolean {
    return this.released;
  }
  release(): void {
    if (this.released) return;
    this.released = true;
    this.conn[kKilling] = undefined;
    // Waiting at the head: mysql2 moves on to the next command as when a command ends.
    if (this.conn._command === (this as unknown)) this.conn.handlePacket();
  }
  /** The connection failed: nothing to hold any more. */
  onResult(): void {
    this.released = true;
    this.conn[kKilling] = undefined;
  }
  stateName(): string {
    return 'holding';
  }
}

/**
 * `KILL QUERY` for the statement `conn` runs, sent on a short-lived connection of its own. With
 * `hold`, the connection's queue waits until the server has answered it (see HoldQueue).
 */
function killQuery(conn: Mysql2Connection, hold: boolean): void {
  const Connection = BaseConnection;
  if (Connection === undefined || conn.threadId === null) return;
  // One at a time: while one is on its way the queue is held, so the running statement is its target.
  if (conn[kKilling] !== undefined) return;
  const threadId = conn.threadId;
  const holder = hold ? new HoldQueue(conn) : undefined;
  if (holder !== undefined) {
    conn[kKilling] = holder;
    conn._commands.unshift(holder as unknown as Mysql2Command);
  }
  const landed = (): void => holder?.release();
  outsideScope(() => {
    const control = new Connection({ config: conn.config });
    control.on('error', landed);
    control.once('end', landed);
    control.query(`KILL QUERY ${Number(threadId)}`, () => {
      landed();
      control.end(noop);
    });
  });
}

/** One command of one greenlet. */
class CommandRequest extends ScopedRequest {
  constructor(scope: Scope, readonly conn: Mysql2Connection, readonly cmd: Mysql2Command) {
    super(scope);
  }

  protected cancel(reason: unknown): void {
    const { conn, cmd } = this;
    if (removeFrom(conn._commands, cmd)) failCommand(cmd, reason);
    else if (conn._command === cmd && cmd.constructor.name !== 'Prepare') killQuery(conn, true);
  }
}

/** A connection a greenlet created itself: a kill stops its statement and destroys it. */
class ConnectionOwner extends ScopedRequest {
  constructor(scope: Scope, readonly conn: Mysql2Connection) {
    super(scope);
  }

  protected cancel(): void {
    stopAndDestroy(this.conn);
  }
}

/** Stops the statement `conn` runs (if any) and destroys `conn`, without an unheard 'error'. */
function stopAndDestroy(conn: Mysql2Connection): void {
  // Between statements mysql2 leaves `_command` undefined (it shifts an empty queue), not null.
  const command = conn._command;
  if (command != null && STATEMENTS.has(command.constructor?.name)) killQuery(conn, false);
  if (conn.listenerCount('error') === 0) conn.on('error', noop);
  conn.destroy();
}

function addCommand(original: Callback): Callback {
  return function (this: Mysql2Connection, cmd: Mysql2Command) {
    const scope = requestScope();
    if (scope === undefined) return original.call(this, cmd);
    const name = cmd?.constructor?.name;
    if (name === 'ClientHandshake') {
      // Called from the constructor: the socket is the connection's, the connection the greenlet's.
      if (this.stream instanceof net.Socket) markShared(this.stream);
      if (scope.aborted) {
        if (this.listenerCount('error') === 0) this.on('error', noop);
        const result = original.call(this, cmd);
        this.destroy();
        return result;
      }
      const owner = new ConnectionOwner(scope, this);
      owner.attach();
      this.once('end', () => owner.done());
      this.stream?.once('close', () => owner.done());
      return original.call(this, cmd);
    }
    if (name === undefined || !STATEMENTS.has(name)) return original.call(this, cmd);
    if (scope.aborted) {
      process.nextTick(failCommand, cmd, scope.reason);
      return cmd;
    }
    const request = new CommandRequest(scope, this, cmd);
    request.attach();
    cmd.once('end', () => request.done());
    return original.call(this, cmd);
  };
}

/** One `pool.getConnection()` of one greenlet. */
class Checkout extends ScopedRequest {
  conn: Mysql2Connection | undefined = undefined;
  constructor(scope: Scope, readonly pool: Mysql2Pool, readonly deliver: Callback, readonly internal: boolean) {
    super(scope);
  }

  protected cancel(reason: unknown): void {
    if (this.conn === undefined) {
      if (removeFrom(this.pool._connectionQueue, this.deliver)) this.deliver(reason);
      return;
    }
    // pool.query/execute: its statement is killed by its own request; the pool takes it back.
    if (this.internal) return;
    // A connection the dead greenlet held: its state (a transaction) is unknown, so it leaves the pool.
    stopAndDestroy(this.conn);
  }
}

function getConnection(original: Callback): Callback {
  return function (this: Mysql2Pool, cb: Callback) {
    const internal = takePoolOwnCheckout();
    const scope = requestScope();
    if (scope === undefined || typeof cb !== 'function') return outsideScope(() => original.call(this, cb));
    if (scope.aborted) {
      process.nextTick(() => scopeStorage.run(scope, cb, scope.reason));
      return undefined;
    }
    const deliver: Callback = (err, conn) => {
      const connection = conn as Mysql2Connection | undefined;
      if (checkout.cancelled) {
        // The greenlet died while waiting: the connection goes straight back.
        if (connection !== undefined) outsideScope(() => connection.release?.());
        return scopeStorage.run(scope, cb, checkout.reason);
      }
      if (err || connection === undefined) {
        checkout.done();
        return scopeStorage.run(scope, cb, err, conn);
      }
      checkout.conn = connection;
      // pool.query/execute give it back themselves once the statement ends; a greenlet's own
      // checkout is given back by release() (or dies with the greenlet).
      if (internal) checkout.done();
      else connection[kCheckout] = checkout;
      return scopeStorage.run(scope, cb, undefined, connection);
    };
    const checkout = new Checkout(scope, this, deliver, internal);
    checkout.attach();
    return outsideScope(() => original.call(this, deliver));
  };
}

/** A checked-out connection given back: its greenlet no longer owns it. */
function release(original: Callback): Callback {
  return function (this: Mysql2Pool, ...args: unknown[]) {
    const conn = args[0] as Mysql2Connection | undefined;
    if (conn !== undefined) {
      conn[kCheckout]?.done();
      conn[kCheckout] = undefined;
    }
    // Serving the next waiter (or opening a connection for it) belongs to the pool.
    return outsideScope(() => original.apply(this, args));
  };
}

const patcher = new ClientPatcher('mysql2');

// Patches mysql2's BaseConnection (lib/base/connection.js).
function patchMysql2Connection(Connection: { prototype: object }): void {
  if (patcher.wrap(Connection.prototype, 'BaseConnection.prototype', { addCommand })) BaseConnection = Connection as typeof BaseConnection;
}

// Patches mysql2's BasePool (lib/base/pool.js).
function patchMysql2Pool(Pool: { prototype: object }): void {
  patcher.wrap(Pool.prototype, 'BasePool.prototype', {
    getConnection, query: poolOwnCheckout, execute: poolOwnCheckout, releaseConnection: release,
  });
}

/**
 * Makes mysql2 follow greenlets. A statement (query, execute) belongs to the greenlet that made
 * it: killed while it waits in the connection's queue, it is never sent and fails with the
 * greenlet's own reason; killed while it runs, the server stops it (`KILL QUERY`, sent on a
 * connection of its own; the connection's queue waits for the server's answer, so the kill never
 * reaches the next statement) and the pooled connection stays in the pool. A pool never hands a
 * connection to a dead greenlet, and opens its connections outside every scope. A connection a
 * greenlet creates itself, or checked out and did not release, belongs to it: a kill stops its
 * statement, if one runs, and destroys it (an open transaction is rolled back by the server).
 *
 * Without an argument it patches the mysql2 the application loads (now or later, callback or
 * `mysql2/promise` API). `patchAll()` calls it. Idempotent.
 *
 * @example
 * ```ts
 * import mysql from 'mysql2/promise';
 * import { spawn } from 'nodevent';
 * import { patchMysql2 } from 'nodevent/patch';
 * patchMysql2();
 * const pool = mysql.createPool({ host: '127.0.0.1', user: 'root' });
 * const g = spawn(() => pool.query('select sleep(10)'));
 * await g.kill(); // the server stops the query; the connection stays in the pool
 * ```
 */
export function patchMysql2(mysql2?: object): void {
  if (mysql2 !== undefined) {
    if (mysql2 === null || (typeof mysql2 !== 'object' && typeof mysql2 !== 'function')) throw invalidArgType('mysql2', 'the mysql2 module', mysql2);
    const { Connection, Pool } = mysql2 as { Connection?: { prototype: object }; Pool?: { prototype: object } };
    if (typeof Connection !== 'function' || typeof Pool !== 'function') throw invalidArgType('mysql2', 'the mysql2 module (with Connection and Pool)', mysql2);
    patchMysql2Connection(baseOf(Connection, 'addCommand'));
    patchMysql2Pool(baseOf(Pool, 'getConnection'));
    return;
  }
  patcher.watch([
    { module: 'mysql2', file: 'lib/base/connection.js', patch: (exports) => patchMysql2Connection(exports as { prototype: object }) },
    { module: 'mysql2', file: 'lib/base/pool.js', patch: (exports) => patchMysql2Pool(exports as { prototype: object }) },
  ]);
}

/** The class in `cls`'s chain that defines `method` itself (mysql2's Base* classes). */
function baseOf(cls: { prototype: object }, method: string): { prototype: object } {
  let current: unknown = cls;
  while (typeof current === 'function') {
    const proto = (current as { prototype: object }).prototype;
    if (Object.prototype.hasOwnProperty.call(proto, method)) return current as { prototype: object };
    current = Object.getPrototypeOf(current);
  }
  return cls;
}

/**
 * Puts mysql2 back as it was and stops watching for new loads.
 *
 * @example
 * ```ts runnable
 * import { patchMysql2, unpatchMysql2 } from 'nodevent/patch';
 * patchMysql2();
 * unpatchMysql2();
 * ```
 */
export function unpatchMysql2(): void {
  patcher.unpatch();
}
