import net from 'node:net';
import { outsideScope, scopeStorage, type Scope } from '../../runtime/scope.js';
import { invalidArgType } from '../../internal/validate.js';
import { ClientPatcher, poolOwnCheckout, runsOutside, takePoolOwnCheckout } from './patcher.js';
import { ScopedRequest, bindScope, noop, requestScope } from './request.js';

// pg (node-postgres) and pg-pool. A query runs for the greenlet that made it: it is never sent
// for a dead one, and a kill while it runs sends PostgreSQL's cancel request (the connection stays
// usable). Pooled connections are opened, released and handed out outside every scope; a checkout
// is delivered in the scope of the greenlet that asked for it.

type Callback = (...args: unknown[]) => unknown;

/** The parts of a pg Query the patch touches. */
interface PgQuery {
  callback?: Callback;
  handleError?(err: unknown, connection: unknown): unknown;
  listenerCount?(event: string): number;
  emit?(event: string, ...args: unknown[]): boolean;
  [kQuery]?: QueryRequest;
}

/** The parts of a pg Client the patch touches (private fields of pg 8). */
interface PgClient {
  host: string;
  port: number;
  processID: number | null;
  secretKey: number | null;
  connection: { stream?: net.Socket };
  _activeQuery: PgQuery | null;
  _queryQueue: PgQuery[];
  _sentQueryQueue?: PgQuery[];
  _pulseQueryQueue(): void;
  _ending?: boolean;
  release?: (err?: unknown) => void;
  listenerCount(event: string): number;
  on(event: string, listener: Callback): unknown;
  once(event: string, listener: Callback): unknown;
  end(): Promise<void> | void;
  [kCancelling]?: number;
}

interface PendingItem { callback: Callback }

interface PgPool {
  Promise: PromiseConstructor;
  _pendingQueue: PendingItem[];
}

const kQuery = Symbol('nodevent.pg.query');
const kCancelling = Symbol('nodevent.pg.cancelling');
const kCancelledError = Symbol('nodevent.pg.cancelled');
/** PostgreSQL's SQLSTATE for "canceling statement due to user request". */
const QUERY_CANCELED = '57014';
const CANCEL_REQUEST_CODE = 80877102;
/** Cancel requests on their way, over all clients. */
let cancelsInFlight = 0;

/**
 * Sends PostgreSQL's CancelRequest for the backend serving `client` on a connection of its own,
 * and holds the client's queue until the server has taken it: a cancel that arrived after the
 * query ended must not hit the next query on that connection.
 */
function sendCancel(client: PgClient): void {
  // One at a time: while one is on its way the queue is held, so the running query is its target.
  if (client.processID === null || client.secretKey === null || (client[kCancelling] ?? 0) > 0) return;
  const packet = Buffer.alloc(16);
  packet.writeInt32BE(16, 0);
  packet.writeInt32BE(CANCEL_REQUEST_CODE, 4);
  packet.writeInt32BE(client.processID, 8);
  packet.writeInt32BE(client.secretKey, 12);
  client[kCancelling] = (client[kCancelling] ?? 0) + 1;
  cancelsInFlight++;
  const host = client.host;
  outsideScope(() => {
    const socket = host !== undefined && host.startsWith('/')
      ? net.connect(`${host}/.s.PGSQL.${client.port}`)
      : net.connect(client.port, host ?? 'localhost');
    socket.on('error', noop);
    socket.on('connect', () => socket.end(packet));
    // The server closes the connection once the backend has been signalled.
    socket.on('close', () => {
      cancelsInFlight--;
      client[kCancelling]! -= 1;
      if (client[kCancelling] === 0) client._pulseQueryQueue();
    });
    socket.resume();
  });
}

/** A query of one greenlet on one client. */
class QueryRequest extends ScopedRequest {
  constructor(scope: Scope, readonly client: PgClient, readonly query: PgQuery) {
    super(scope);
  }

  protected cancel(reason: unknown): void {
    const { client, query } = this;
    const queued = client._queryQueue.indexOf(query);
    if (queued !== -1) {
      // Never sent: it leaves the queue and fails with its own greenlet's reason.
      client._queryQueue.splice(queued, 1);
      failQuery(query, reason);
    } else if (client._activeQuery === query) {
      sendCancel(client);
    }
    // Otherwise a pipelined query already on the wire behind another: it runs; nobody listens.
  }
}

function failQuery(query: PgQuery, reason: unknown): void {
  if (typeof query.callback === 'function') query.callback(reason);
  else if ((query.listenerCount?.('error') ?? 0) > 0) query.emit?.('error', reason);
}

/** Finds the query `client.query()` just queued or started (pg 8 keeps it in private fields). */
function queuedQuery(client: PgClient, before: { active: PgQuery | null; queued: number; sent: number }): PgQuery | undefined {
  if (client._queryQueue.length > before.queued) return client._queryQueue[client._queryQueue.length - 1];
  if (client._activeQuery !== before.active && client._activeQuery !== null) return client._activeQuery;
  const sent = client._sentQueryQueue;
  if (sent !== undefined && sent.length > before.sent) return sent[sent.length - 1];
  return undefined;
}

function clientQuery(original: Callback): Callback {
  return function query(this: PgClient, ...args: unknown[]) {
    const scope = requestScope();
    if (scope === undefined) return original.apply(this, args);
    if (scope.aborted) return refuse(this, scope.reason, args);
    const before = { active: this._activeQuery, queued: this._queryQueue.length, sent: this._sentQueryQueue?.length ?? 0 };
    const result = original.apply(this, args);
    const query = queuedQuery(this, before);
    if (query === undefined || query[kQuery] !== undefined) return result;
    const request = new QueryRequest(scope, this, query);
    query[kQuery] = request;
    const callback = query.callback;
    if (typeof callback === 'function') {
      query.callback = bindScope(scope, function (this: unknown, err: unknown, ...rest: unknown[]) {
        const cancelled = request.cancelled;
        request.done();
        // The query our cancel request stopped: the pool keeps the connection (see _release).
        if (cancelled && err instanceof Error && (err as { code?: string }).code === QUERY_CANCELED) {
          (err as { [kCancelledError]?: true })[kCancelledError] = true;
        }
        return callback.call(this, err, ...rest);
      });
    } else {
      // A submittable without callback (pg-cursor, pg-query-stream) ends in either of these.
      const proto = Object.getPrototypeOf(query) as Record<string, Callback>;
      for (const name of ['handleReadyForQuery', 'handleError']) {
        const method = proto[name];
        if (typeof method !== 'function') continue;
        (query as Record<string, unknown>)[name] = function (this: unknown, ...a: unknown[]) {
          request.done();
          return method.apply(this, a);
        };
      }
    }
    request.attach();
    return result;
  };
}

/** A query made in a dead scope: never sent, failed with that scope's reason in the caller's shape. */
function refuse(client: PgClient, reason: unknown, args: unknown[]): unknown {
  const [config, values, callback] = args as [PgQuery | undefined, unknown, unknown];
  const cb = typeof values === 'function' ? values : typeof callback === 'function' ? callback : config?.callback;
  if (typeof cb === 'function') {
    process.nextTick(cb as Callback, reason);
    return config !== null && typeof config === 'object' && typeof (config as { submit?: unknown }).submit === 'function' ? config : undefined;
  }
  if (config !== null && typeof config === 'object' && typeof (config as { submit?: unknown }).submit === 'function') {
    process.nextTick(() => failQuery(config, reason));
    return config;
  }
  const P = ((client as unknown as { _Promise?: PromiseConstructor })._Promise ?? Promise);
  return P.reject(reason);
}

function pulseQueryQueue(original: Callback): Callback {
  return function _pulseQueryQueue(this: PgClient) {
    // Held while a cancel request is on its way (see sendCancel); the counter keeps the usual
    // case (no cancel anywhere) to one comparison.
    if (cancelsInFlight > 0 && (this[kCancelling] ?? 0) > 0 && this._activeQuery === null) return;
    return original.call(this);
  };
}

/** A standalone client opened by a greenlet belongs to it until it ends: a kill ends it. */
class ClientOwner extends ScopedRequest {
  constructor(scope: Scope, readonly client: PgClient) {
    super(scope);
  }

  protected cancel(): void {
    const { client } = this;
    if (client._activeQuery !== null) sendCancel(client);
    if (client.listenerCount('error') === 0) client.on('error', noop);
    void Promise.resolve(client.end()).catch(noop);
  }
}

function clientConnect(original: Callback): Callback {
  return function connect(this: PgClient, ...args: unknown[]) {
    const scope = requestScope();
    const callback = args[0];
    if (scope === undefined) return outsideScope(() => original.apply(this, args));
    if (scope.aborted) {
      if (typeof callback === 'function') return void process.nextTick(callback as Callback, scope.reason);
      return Promise.reject(scope.reason);
    }
    // The connection itself is the client's: opened outside every scope, so the socket is never
    // destroyed under pg's feet (pg would re-emit that as an 'error' nobody hears). The greenlet
    // owns the client instead, and a kill ends it cleanly.
    const owner = new ClientOwner(scope, this);
    owner.attach();
    this.once('end', () => owner.done());
    if (typeof callback === 'function') return outsideScope(() => original.call(this, bindScope(scope, callback as Callback)));
    return outsideScope(() => original.apply(this, args));
  };
}

/** One checkout (`pool.connect()`) of one greenlet. */
class Checkout extends ScopedRequest {
  client: PgClient | undefined = undefined;
  release: ((err?: unknown) => void) | undefined = undefined;
  constructor(scope: Scope, readonly pool: PgPool, readonly deliver: Callback, readonly internal: boolean) {
    super(scope);
  }

  protected cancel(reason: unknown): void {
    if (this.client === undefined) {
      // Still waiting: leave the queue now; the pool never hands a connection to a dead greenlet.
      const i = this.pool._pendingQueue.findIndex((item) => item.callback === this.deliver);
      if (i !== -1) {
        this.pool._pendingQueue.splice(i, 1);
        this.deliver(reason);
      }
      return;
    }
    // pool.query's own checkout: its query is cancelled by its QueryRequest and pool.query
    // releases the connection, which stays in the pool.
    if (this.internal) return;
    // A connection the dead greenlet held: what it left on it (a transaction) is unknown, so it
    // leaves the pool; its running query is cancelled first so the server stops it at once.
    const client = this.client;
    if (client._activeQuery !== null) sendCancel(client);
    this.release?.(reason instanceof Error ? reason : new Error(String(reason)));
  }
}

function poolConnect(original: Callback): Callback {
  return function connect(this: PgPool, ...args: unknown[]) {
    const internal = takePoolOwnCheckout();
    const scope = requestScope();
    const cb = args[0] as Callback | undefined;
    if (scope === undefined) return outsideScope(() => original.apply(this, args));
    let resolve!: (client: unknown) => void;
    let reject!: (err: unknown) => void;
    const result = typeof cb === 'function' ? undefined : new this.Promise((res, rej) => { resolve = res; reject = rej; });
    const callback: Callback = typeof cb === 'function' ? cb : (err, client) => (err ? reject(err) : resolve(client));
    if (scope.aborted) {
      process.nextTick(callback, scope.reason);
      return result;
    }
    const deliver: Callback = (err, client, release) => {
      const pgClient = client as PgClient | undefined;
      if (checkout.cancelled) {
        // The greenlet died while waiting: the connection goes straight back.
        if (pgClient !== undefined && typeof release === 'function') outsideScope(() => (release as Callback)());
        if (err === checkout.reason) scopeStorage.run(scope, callback, err);
        else scopeStorage.run(scope, callback, checkout.reason);
        return;
      }
      if (err || pgClient === undefined) {
        checkout.done();
        return scopeStorage.run(scope, callback, err, client, release);
      }
      let released = false;
      const poolRelease = pgClient.release!;
      const once = (e?: unknown): void => {
        if (released) return;
        released = true;
        checkout.done();
        outsideScope(() => poolRelease(e));
      };
      checkout.client = pgClient;
      checkout.release = once;
      pgClient.release = once;
      return scopeStorage.run(scope, callback, undefined, pgClient, once);
    };
    const checkout = new Checkout(scope, this, deliver, internal);
    checkout.attach();
    outsideScope(() => original.call(this, deliver));
    return result;
  };
}

function poolRelease(original: Callback): Callback {
  return function _release(this: PgPool, client: unknown, idleListener: unknown, err: unknown) {
    // A query stopped by our cancel request leaves a healthy connection: keep it.
    const keep = err instanceof Error && (err as { [kCancelledError]?: true })[kCancelledError] === true;
    return outsideScope(() => original.call(this, client, idleListener, keep ? undefined : err));
  };
}

interface PgModuleLike {
  Client?: { prototype: object };
  Pool?: { prototype: object };
}

const patcher = new ClientPatcher('pg');

// Patches a pg `Client` class (pg/lib/client.js).
function patchPgClient(Client: { prototype: object }): void {
  patcher.wrap(Client.prototype, 'Client.prototype', { query: clientQuery, connect: clientConnect, _pulseQueryQueue: pulseQueryQueue });
}

// Patches a pg-pool `Pool` class (or pg's `BoundPool`, which extends it: the methods are its parent's).
function patchPgPool(Pool: { prototype: object }): void {
  let proto = Pool.prototype;
  while (!Object.prototype.hasOwnProperty.call(proto, 'newClient')) {
    const parent = Object.getPrototypeOf(proto) as object | null;
    if (parent === null || parent === Object.prototype) return;
    proto = parent;
  }
  // Pool upkeep (opening a connection, serving the queue, removing one) belongs to no greenlet.
  patcher.wrap(proto, 'Pool.prototype', {
    connect: poolConnect, query: poolOwnCheckout, _release: poolRelease, newClient: runsOutside, _pulseQueue: runsOutside, _remove: runsOutside,
  });
}

/**
 * Makes pg (node-postgres) and pg-pool follow greenlets: a query runs for the greenlet that made
 * it, through the client's queue and the pool's; a dead greenlet's queued query or checkout is
 * never served (it fails with that greenlet's own reason); killing a greenlet whose query is
 * running sends PostgreSQL's cancel request, and the pooled connection stays in the pool. Pooled
 * connections are opened and kept outside every scope. A `pg.Client` a greenlet connects itself
 * belongs to that greenlet (a kill ends it) until the greenlet ends normally.
 *
 * Without an argument it patches the `pg` the application loads (now or later, `require` or
 * `import`); pass the module to patch that copy only. `patchAll()` calls it. Idempotent.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { spawn } from 'nodevent';
 * import { patchPg } from 'nodevent/patch';
 * patchPg(pg);
 * const pool = new pg.Pool({ host: '127.0.0.1', user: 'postgres' });
 * const g = spawn(() => pool.query('select pg_sleep(10)'));
 * await g.kill(); // the server cancels the query; the connection stays in the pool
 * ```
 */
export function patchPg(pgModule?: object): void {
  if (pgModule !== undefined) {
    if (pgModule === null || (typeof pgModule !== 'object' && typeof pgModule !== 'function')) throw invalidArgType('pgModule', 'the pg module', pgModule);
    const mod = pgModule as PgModuleLike;
    if (typeof mod.Client !== 'function' && typeof mod.Pool !== 'function') throw invalidArgType('pgModule', 'the pg module (with Client and Pool)', pgModule);
    if (typeof mod.Client === 'function') patchPgClient(mod.Client);
    if (typeof mod.Pool === 'function') patchPgPool(mod.Pool);
    return;
  }
  patcher.watch([
    { module: 'pg', file: 'lib/client.js', patch: (exports) => patchPgClient(exports as { prototype: object }) },
    { module: 'pg-pool', file: 'index.js', main: true, patch: (exports) => patchPgPool(exports as { prototype: object }) },
  ]);
}

/**
 * Puts pg and pg-pool back as they were and stops watching for new loads. Requests owned
 * already stay owned until they end.
 *
 * @example
 * ```ts runnable
 * import { patchPg, unpatchPg } from 'nodevent/patch';
 * patchPg();
 * unpatchPg();
 * ```
 */
export function unpatchPg(): void {
  patcher.unpatch();
}

