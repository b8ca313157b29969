import type net from 'node:net';
import { Greenlet, getCurrent } from '../runtime/greenlet.js';
import { hub } from '../runtime/hub.js';
import { joinAll, killAll } from '../runtime/joinall.js';
import { Pool } from '../runtime/pool.js';
import { currentScope, outsideScope, type Scope } from '../runtime/scope.js';
import { invalidArgType, outOfRange, secondsToMs, validateFunction } from '../internal/validate.js';
import { sockaddr, validateAddress, type Address } from './address.js';
import { AF_INET, AF_INET6 } from './constants.js';
import { TcpSocket } from './tcp.js';
import { UdpSocket } from './udp.js';

/** Options shared by StreamServer and DatagramServer. */
export interface ServerOptions {
  /**
   * How handlers run: a `Pool` (at most its size at once; while it is full nothing new is taken),
   * a number (a Pool of that size), or null/undefined for a greenlet per connection without limit.
   * @default null
   */
  spawn?: Pool | number | null;
}

/** Options of `StreamServer`. */
export interface StreamServerOptions extends ServerOptions {
  /** Backlog passed to `listen` when the server creates its listener. @default 128 */
  backlog?: number;
  /** Timeout (seconds) of every connection's socket. @default null */
  timeout?: number | null;
}

/** Options of `stop`. */
export interface StopOptions {
  /** Seconds to let running handlers finish before they are killed (gevent's `stop_timeout`). @default 1 */
  timeout?: number | null;
}

/** A connection handler: runs in its own greenlet; the socket is closed when it returns. */
export type StreamHandler = (socket: TcpSocket, address: Address) => unknown;
/** A datagram handler: runs in its own greenlet per datagram. */
export type DatagramHandler = (data: Buffer, address: Address, server: DatagramServer) => unknown;

function toPool(spawn: unknown): Pool | undefined {
  if (spawn === undefined || spawn === null) return undefined;
  if (spawn instanceof Pool) return spawn;
  if (typeof spawn === 'number') {
    if (spawn !== Infinity && !(Number.isInteger(spawn) && spawn > 0)) throw outOfRange('options.spawn', 'a positive integer or Infinity (a Pool size)', spawn);
    return new Pool(spawn);
  }
  throw invalidArgType('options.spawn', 'a Pool, a number or null', spawn);
}

/**
 * A server's listener as gevent's `parse_address` reads it: a port (number or digits) is every
 * interface of both families; `'host:port'` (`'[::1]:80'` for IPv6 too) that host; `':port'`
 * every IPv4 interface. An `Address` array is checked as any socket address.
 */
function parseListener(listener: unknown): [host: string, port: number] {
  if (typeof listener === 'number' || (typeof listener === 'string' && /^\d+$/.test(listener))) {
    return validateAddress(['', Number(listener)], 'listener');
  }
  if (typeof listener === 'string') {
    const at = listener.lastIndexOf(':');
    if (at === -1) throw invalidArgType('listener', "a [host, port] array, a port, or a 'host:port' string", listener);
    let host = listener.slice(0, at);
    if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
    const port = listener.slice(at + 1);
    if (!/^\d+$/.test(port)) throw invalidArgType('listener', "a 'host:port' string with a numeric port", listener);
    return validateAddress([host === '' ? '0.0.0.0' : host, Number(port)], 'listener');
  }
  return validateAddress(listener, 'listener');
}

/**
 * The family a server listens with: IPv6 for an IPv6 host, and for '' (every interface) as gevent
 * does, so that `['', port]` listens on '::' and takes IPv4 clients too (Node's IPv6 sockets are
 * dual-stack); IPv4 otherwise.
 */
function familyOfHost(host: string): number {
  return host.includes(':') || host === '' ? AF_INET6 : AF_INET;
}

/** `open(family)` for `host`'s family; for '' on a machine without IPv6, IPv4 instead. */
async function openOnFamilies<S>(host: string, open: (family: number) => Promise<S>): Promise<S> {
  try {
    return await open(familyOfHost(host));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | null)?.code;
    if (host !== '' || (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL')) throw error;
    return open(AF_INET);
  }
}

/** What both servers share: the serving greenlet, handler spawning, and gevent's stop. */
abstract class BaseServer {
  /** The pool handlers run in, or undefined for no limit. */
  readonly pool: Pool | undefined;
  #scope: Scope | undefined;
  #loop: Greenlet | undefined;
  #handlers = new Set<Greenlet>();
  #stopped = false;
  #done: Promise<void> | undefined;
  #resolveDone: (() => void) | undefined;
  // Why the serving loop failed (an accept that cannot go on: the listener closed under it).
  #failure: { error: unknown } | undefined;
  // Callers waiting in serveForever: they receive the loop's failure; without any, the hub does.
  #waiting = 0;

  constructor(options: ServerOptions) {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'an object', options);
    this.pool = toPool(options.spawn);
  }

  /** True between `start` and `stop`. */
  get started(): boolean {
    return this.#loop !== undefined && !this.#stopped;
  }

  /** True once `stop` was called. */
  get closed(): boolean {
    return this.#stopped;
  }

  /** Handlers running now. */
  get handlerCount(): number {
    return this.#handlers.size;
  }

  protected abstract _open(): Promise<void>;
  protected abstract _close(): void;
  /** Takes the next item (connection, datagram) to hand to a handler. */
  protected abstract _next(): Promise<unknown[]>;
  protected abstract _handle(...item: unknown[]): Promise<unknown>;

  /**
   * Opens the listener (when given an address) and starts serving in a greenlet owned by the
   * caller's scope: killing the caller stops the server. Handlers are spawned in that scope too.
   */
  async start(): Promise<void> {
    if (this.#stopped) throw new Error('The server was stopped; create a new one');
    if (this.#loop !== undefined) return;
    this.#scope = currentScope();
    this.#done = new Promise<void>((resolve) => (this.#resolveDone = resolve));
    await this._open();
    this.#loop = new Greenlet(() => this.#serve());
    this.#loop.name = `${this.constructor.name}-loop`;
    this.#loop.link((loop) => this.#loopEnded(loop));
    this.#loop.start();
  }

  // The loop only ends by stop() or by its caller's kill, or when it fails. A failure stops the
  // server and goes to whoever waits in serveForever(), or else to the hub (gevent reports a
  // listener that fails through the hub and closes the server).
  #loopEnded(loop: Greenlet): void {
    if (this.#stopped) return;
    if (!loop.successful()) {
      const error = loop.exception;
      this.#failure = { error };
      if (this.#waiting === 0) hub.reportError(loop, error);
    }
    void this.stop();
  }

  async #serve(): Promise<void> {
    for (;;) {
      // gevent stops accepting while the pool is full; so does this loop (see docs/net.md for
      // what Node does meanwhile).
      if (this.pool !== undefined) await this.pool.waitAvailable();
      const item = await this._next();
      await this.#spawn(item);
    }
  }

  async #spawn(item: unknown[]): Promise<void> {
    const body = async (): Promise<unknown> => {
      try {
        return await this._handle(...item);
      } catch (error) {
        // The link below observes the greenlet, so report the failure here, as gevent's server does.
        const me = getCurrent();
        if (me !== null && !me.aborted) hub.reportError(me, error);
        throw error;
      }
    };
    // Wrapped: a Greenlet is awaitable, so awaiting one would wait for the handler's result.
    const make = async (): Promise<{ greenlet: Greenlet }> => (this.pool !== undefined ? this.pool.spawn(body) : { greenlet: new Greenlet(body).start() });
    const scope = this.#scope;
    const { greenlet: g } = await (scope === undefined || scope.closed ? outsideScope(make) : scope.enter(make));
    this.#handlers.add(g);
    g.link(() => this.#handlers.delete(g));
  }

  /**
   * Starts the server and waits until it is stopped (or its caller is killed). When serving
   * fails (the listener was closed by someone else, accept failed), the server stops and this
   * rejects with the error; the hub reports such a failure only when nobody waits here.
   */
  async serveForever(): Promise<void> {
    this.#waiting++;
    try {
      await this.start();
      await this.#done;
    } finally {
      this.#waiting--;
    }
    if (this.#failure !== undefined) throw this.#failure.error;
  }

  /**
   * Stops, as gevent's: the listener closes at once (no new work). With a pool, running handlers
   * get `timeout` seconds to finish, then the rest are killed, and it resolves when every handler
   * is dead. Without a pool, handlers go on until they end by themselves (they still die with the
   * greenlet that started the server).
   */
  async stop(options: StopOptions = {}): Promise<void> {
    const ms = secondsToMs(options.timeout === undefined ? 1 : options.timeout, 'options.timeout');
    if (this.#stopped) return this.#done;
    this.#stopped = true;
    this._close();
    await this.#loop?.kill();
    const handlers = this.pool === undefined ? [] : [...this.#handlers];
    if (handlers.length > 0) {
      await joinAll(handlers, { timeout: ms === undefined ? null : ms / 1000 });
      await killAll(handlers.filter((g) => !g.dead));
    }
    this.#resolveDone?.();
  }
}

/**
 * A TCP server in gevent's shape: a greenlet per connection runs `handler(socket, address)`, and
 * the socket is closed when the handler returns. `listener` is `[host, port]`, a listening
 * `TcpSocket`, or as gevent takes it a port or a `'host:port'` string. With `spawn` (a Pool or a
 * size) at most that many handlers run at once.
 *
 * @example
 * ```ts runnable
 * import { StreamServer } from 'nodevent/net';
 * const server = new StreamServer(['127.0.0.1', 0], async (sock) => {
 *   const data = await sock.recv(1000);
 *   await sock.sendall(Buffer.from('Are you talking to me?'));
 * }, { spawn: 10 });
 * await server.start();
 * console.log(server.serverPort);
 * await server.stop();
 * ```
 */
export class StreamServer extends BaseServer {
  #listenerArg: Address | TcpSocket;
  #listener: TcpSocket | undefined;
  // The address asked for, and the one listened on once started (kept after stop, as gevent's).
  #requested: Address;
  #bound: Address | undefined;
  #handler: StreamHandler;
  #backlog: number;
  #timeout: number | null;

  constructor(listener: Address | TcpSocket | number | string, handler: StreamHandler, options: StreamServerOptions = {}) {
    super(options);
    this.#listenerArg = listener instanceof TcpSocket ? listener : parseListener(listener);
    this.#requested = this.#listenerArg instanceof TcpSocket ? this.#listenerArg.getsockname() : this.#listenerArg;
    validateFunction(handler, 'handler');
    this.#handler = handler;
    // gevent's test_backlog_is_not_accepted_for_socket: a socket listens with its own backlog.
    if (listener instanceof TcpSocket && options.backlog !== undefined) throw invalidArgType('options.backlog', 'undefined when the listener is a socket (it has its own backlog)', options.backlog);
    this.#backlog = options.backlog ?? 128;
    secondsToMs(options.timeout, 'options.timeout');
    this.#timeout = options.timeout ?? null;
  }

  /** The listening socket (after `start`). */
  get socket(): TcpSocket | undefined {
    return this.#listener;
  }

  /**
   * The address the server listens on: the requested one before `start`, the real one (port 0
   * resolved) from `start` on, also after `stop`. See `Address`.
   */
  get address(): Address {
    if (this.#listener !== undefined && !this.#listener.closed) return this.#listener.getsockname();
    if (this.#bound !== undefined) return this.#bound;
    return this.#listenerArg instanceof TcpSocket && !this.#listenerArg.closed ? this.#listenerArg.getsockname() : this.#requested;
  }

  /** The port listened on (the real one when 0 was asked). */
  get serverPort(): number {
    return this.address[1];
  }

  /** The host listened on. */
  get serverHost(): string {
    return this.address[0];
  }

  protected async _open(): Promise<void> {
    if (this.#listenerArg instanceof TcpSocket) {
      this.#listener = this.#listenerArg;
      await this.#listener.listen(this.#backlog); // no-op when listening already
      this.#bound = this.#listener.getsockname();
      return;
    }
    const address = this.#listenerArg;
    const sock = await openOnFamilies(address[0], async (family) => {
      const candidate = new TcpSocket({ family });
      try {
        await candidate.bind(address);
        await candidate.listen(this.#backlog);
      } catch (error) {
        candidate.close();
        throw error;
      }
      return candidate;
    });
    this.#listener = sock;
    this.#bound = sock.getsockname();
  }

  /** Closes the listener, also a listening socket given to a server that never started (gevent's). */
  protected _close(): void {
    (this.#listener ?? (this.#listenerArg instanceof TcpSocket ? this.#listenerArg : undefined))?.close();
  }

  protected async _next(): Promise<unknown[]> {
    return [await this.#listener!._acceptRaw()];
  }

  protected async _handle(raw: unknown): Promise<unknown> {
    const conn = raw as net.Socket;
    const address = sockaddr(conn.remoteAddress ?? '', conn.remotePort ?? 0);
    // Made in the handler's greenlet, so it owns the socket: killing the handler closes it.
    const sock = TcpSocket._fromAccepted(conn, this.#listener!, this.#timeout);
    try {
      return await this.#handler(sock, address);
    } finally {
      sock.close();
    }
  }
}

/**
 * A UDP server in gevent's shape: `handler(data, address, server)` runs in a greenlet per datagram;
 * reply with `server.sendto(data, address)`. `listener` is `[host, port]`, a bound `UdpSocket`, or
 * a port or a `'host:port'` string.
 *
 * @example
 * ```ts runnable
 * import { DatagramServer, UdpSocket } from 'nodevent/net';
 * const server = new DatagramServer(['127.0.0.1', 0], async (data, address, srv) => {
 *   await srv.sendto(Buffer.from('Are you talking to me?'), address);
 * });
 * await server.start();
 * const client = new UdpSocket();
 * await client.sendto(Buffer.from('Hey!'), ['127.0.0.1', server.serverPort]);
 * const [reply] = await client.recvfrom(4096);
 * console.log(reply.toString()); // Are you talking to me?
 * client.close();
 * await server.stop();
 * ```
 */
export class DatagramServer extends BaseServer {
  #listenerArg: Address | UdpSocket;
  #socket: UdpSocket | undefined;
  #handler: DatagramHandler;
  // As StreamServer's: the address asked for, and the one bound once started.
  #requested: Address;
  #bound: Address | undefined;

  constructor(listener: Address | UdpSocket | number | string, handler: DatagramHandler, options: ServerOptions = {}) {
    super(options);
    this.#listenerArg = listener instanceof UdpSocket ? listener : parseListener(listener);
    this.#requested = this.#listenerArg instanceof UdpSocket ? this.#listenerArg.getsockname() : this.#listenerArg;
    validateFunction(handler, 'handler');
    this.#handler = handler;
  }

  /** The bound socket (after `start`). */
  get socket(): UdpSocket | undefined {
    return this.#socket;
  }

  /** The address the server is bound to (the requested one before `start`; kept after `stop`). */
  get address(): Address {
    if (this.#socket !== undefined && !this.#socket.closed) return this.#socket.getsockname();
    if (this.#bound !== undefined) return this.#bound;
    return this.#listenerArg instanceof UdpSocket && !this.#listenerArg.closed ? this.#listenerArg.getsockname() : this.#requested;
  }

  /** The port bound (the real one when 0 was asked). */
  get serverPort(): number {
    return this.address[1];
  }

  /** The host bound. */
  get serverHost(): string {
    return this.address[0];
  }

  /** Sends a datagram from the server's socket. */
  sendto(data: Uint8Array, address: Address): Promise<number> {
    if (this.#socket === undefined) return Promise.reject(new Error('The server is not started'));
    return this.#socket.sendto(data, address);
  }

  protected async _open(): Promise<void> {
    if (this.#listenerArg instanceof UdpSocket) {
      this.#socket = this.#listenerArg;
      this.#bound = this.#socket.getsockname();
      return;
    }
    const address = this.#listenerArg;
    const sock = await openOnFamilies(address[0], async (family) => {
      const candidate = new UdpSocket({ family });
      try {
        await candidate.bind(address);
      } catch (error) {
        candidate.close();
        throw error;
      }
      return candidate;
    });
    this.#socket = sock;
    this.#bound = sock.getsockname();
  }

  /** Closes the socket, also one given to a server that never started. */
  protected _close(): void {
    (this.#socket ?? (this.#listenerArg instanceof UdpSocket ? this.#listenerArg : undefined))?.close();
  }

  protected async _next(): Promise<unknown[]> {
    return this.#socket!.recvfrom(65535);
  }

  protected _handle(data: unknown, address: unknown): Promise<unknown> {
    return Promise.resolve(this.#handler(data as Buffer, address as Address, this));
  }
}
