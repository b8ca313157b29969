import net from 'node:net';
import { constants } from 'node:os';
import { invalidArgType } from '../internal/validate.js';
import { nodeHost, sockaddr, validateAddress, wildcardHost, type Address } from './address.js';
import { intoSize, toBytes, validateSize } from './bytes.js';
import { IPPROTO_TCP, SHUT_RD, SHUT_RDWR, SHUT_WR, SOCK_STREAM, SOL_SOCKET, SO_KEEPALIVE, SO_REUSEADDR, TCP_NODELAY } from './constants.js';
import type { SocketOption } from './sockopt.js';
import { BlockingIOError, IncompleteReadError, closedSocketError, errnoError, gaierror, systemError, timeout as SocketTimeout } from './errors.js';
import { ByteQueue } from './reader.js';
import { getaddrinfo } from './resolver.js';
import { getdefaulttimeout } from './defaulttimeout.js';
import { SocketBase, noop, type SocketBaseOptions } from './socketbase.js';

/** Options of a TCP socket. */
export type TcpSocketOptions = SocketBaseOptions;

// Bytes read ahead of the reader before the socket is paused (TCP flow control does the rest).
const HIGH_WATER = 64 * 1024;
// A `sendall` with a timeout writes this much at a time, the next only once Node's buffer drained.
const SEND_CHUNK = 64 * 1024;

/** Python's `BrokenPipeError`: a send on a socket that cannot send (unconnected, after SHUT_WR). */
function brokenPipe(): Error {
  return errnoError('EPIPE', '[Errno 32] Broken pipe');
}

/** Linux's ECONNABORTED: a connection attempt that ended without a result to report. */
function connectionAborted(): Error {
  return errnoError('ECONNABORTED', '[Errno 103] Software caused connection abort');
}

/**
 * A green TCP socket with the socket module's API: `connect`, `sendall`, `recv` (an empty buffer at
 * EOF), `recvExactly`, `readline`/`readUntil`, `shutdown`, `close`; or `bind`, `listen`,
 * `accept`. Every blocking call is async and waits only for its greenlet. The socket belongs to the
 * greenlet that created (or accepted) it: killing that greenlet closes it, and a call pending in
 * a killed greenlet rejects with the kill's reason.
 *
 * @example
 * ```ts runnable
 * import { StreamServer, TcpSocket } from 'nodevent/net';
 * const echo = new StreamServer(['127.0.0.1', 0], async (sock) => sock.sendall(await sock.recv(1000)));
 * await echo.start();
 * const client = new TcpSocket();
 * await client.connect(['127.0.0.1', echo.serverPort]);
 * await client.sendall(Buffer.from('Hey!'));
 * const data = await client.recv(1000);
 * console.log(data.toString()); // Hey!
 * client.close();
 * await echo.stop();
 * ```
 */
export class TcpSocket extends SocketBase {
  /** Always `SOCK_STREAM`. */
  readonly type = SOCK_STREAM;
  #socket: net.Socket | undefined;
  #server: net.Server | undefined;
  #bound: [host: string, port: number] | undefined;
  // Options set with setsockopt (0 or 1), applied to the connection once there is one.
  #noDelay: 0 | 1 = 0;
  #keepAlive: 0 | 1 = 0;
  #reuseAddr: 0 | 1 = 0;
  #reader = new ByteQueue();
  #need = 0;
  #eof = false;
  // After shutdown(SHUT_RD): reads take what is there (what arrives later too) or EOF, never wait.
  #readShut = false;
  #error: unknown = undefined;
  #pending: net.Socket[] = [];
  #listening: Promise<void> | undefined;
  // The connection a non-blocking `connect` started (it rejected with EINPROGRESS), while it goes on.
  #connecting: net.Socket | undefined;
  // The connection a blocking `connect` waits for: `close` destroys it, which wakes the connect.
  #dialing: net.Socket | undefined;
  // How that connection attempt ended, until a call reports it (once, as Linux does): 'connected'
  // until the next `connect` (which then resolves, where a later one gets EISCONN); a failure until
  // the next `connect` or data call (which rejects with it; the socket is then unconnected again).
  #outcome: 'connected' | { error: unknown } | undefined;

  constructor(options: TcpSocketOptions = {}) {
    super(options);
    this._own();
  }

  /**
   * @internal Wraps a connection taken from `listener`; owned by the current greenlet. It has the
   * listener's TCP_NODELAY and SO_KEEPALIVE, as Linux gives an accepted socket, and, as in Python,
   * the default timeout (`getdefaulttimeout()`), not the listener's.
   */
  static _fromAccepted(raw: net.Socket, listener: TcpSocket, timeout: number | null = getdefaulttimeout()): TcpSocket {
    const sock = new TcpSocket({ family: listener.family, timeout });
    sock.#noDelay = listener.#noDelay;
    sock.#keepAlive = listener.#keepAlive;
    sock.#attach(raw);
    return sock;
  }

  // -- state ---------------------------------------------------------------------------------

  /** The underlying Node socket of a connected socket (undefined otherwise). */
  get rawSocket(): net.Socket | undefined {
    return this.#socket;
  }

  #connected(): net.Socket {
    this._check();
    if (this.#socket === undefined) throw errnoError('ENOTCONN', '[Errno 107] Transport endpoint is not connected');
    return this.#socket;
  }

  #attach(socket: net.Socket): void {
    this.#socket = socket;
    if (this.#noDelay === 1) socket.setNoDelay(true);
    if (this.#keepAlive === 1) socket.setKeepAlive(true);
    socket.on('data', (chunk: Buffer) => {
      this.#reader.push(chunk);
      if (this.#reader.length >= Math.max(HIGH_WATER, this.#need)) socket.pause();
      this._wake();
    });
    socket.on('end', () => {
      this.#eof = true;
      this._wake();
    });
    socket.on('error', (error) => {
      this.#error ??= systemError(error);
      this._wake();
    });
    socket.on('close', () => {
      this.#eof = true;
      this._wake();
    });
    socket.resume();
  }

  /** True while a non-blocking connect goes on, or has failed and not yet said so. */
  #inBackground(): boolean {
    return this.#connecting !== undefined || (this.#outcome !== undefined && this.#outcome !== 'connected');
  }

  /**
   * Before a data call on a socket whose non-blocking connect goes on: waits for the connection
   * (non-blocking: BlockingIOError, EAGAIN, as Linux's send and recv), and reports its failure.
   */
  async #afterConnect(): Promise<void> {
    this._check();
    if (this.#connecting !== undefined) await this._until(() => this.#connecting === undefined || this.closed);
    this._check();
    const outcome = this.#outcome;
    if (outcome !== undefined && outcome !== 'connected') {
      this.#outcome = undefined;
      throw outcome.error;
    }
  }

  /** Waits until `ready()` with `need` bytes allowed to be read ahead. */
  async #read(need: number, ready: () => boolean): Promise<void> {
    if (this.#inBackground()) await this.#afterConnect();
    const socket = this.#connected();
    this.#need = need;
    if (socket.isPaused() && this.#reader.length < need) socket.resume();
    try {
      await this._until(() => ready() || this.#eof || this.#readShut || this.#error !== undefined || this.closed);
    } finally {
      this.#need = 0;
    }
    this._check();
  }

  /**
   * The error a read reports once the data is used up: the connection's, except EPIPE, which a
   * send met on a connection the peer closed (Linux's recv then reads EOF).
   */
  #readError(): unknown {
    return (this.#error as NodeJS.ErrnoException | undefined)?.code === 'EPIPE' ? undefined : this.#error;
  }

  #take(n: number): Buffer {
    const out = this.#reader.take(n);
    const socket = this.#socket;
    if (socket !== undefined && socket.isPaused() && this.#reader.length < HIGH_WATER && !this.#eof) socket.resume();
    return out;
  }

  // -- client --------------------------------------------------------------------------------

  /**
   * Connects to `[host, port]`; a host name is resolved with nodevent's resolver (for this
   * socket's family) and the first address is used.
   *
   * Non-blocking (timeout 0), as Python's: the connection is started and the call rejects with
   * `BlockingIOError` EINPROGRESS (errno 115) while it goes on in the background; `getpeername`
   * works once it is made. A `connect` while it is in progress rejects with EALREADY (114) when
   * non-blocking and otherwise waits for it (within the timeout); the first `connect` after it
   * was made resolves, the next ones reject with EISCONN (106); if it failed, the next `connect`,
   * `recv` or `send` rejects with its error (ECONNREFUSED...), once, and the socket may connect
   * again.
   */
  async connect(address: Address): Promise<void> {
    const [host, port] = validateAddress(address, 'address', this.family);
    this._check();
    if (this.#connecting !== undefined || this.#outcome !== undefined) return this.#connectAgain();
    if (this.#socket !== undefined || this.#server !== undefined) throw errnoError('EISCONN', '[Errno 106] Transport endpoint is already connected');
    const infos = await getaddrinfo(host, port, { family: this.family, type: SOCK_STREAM });
    await this._connectAddress(nodeHost(infos[0]![4]), port);
  }

  /**
   * `connect`, answering with an errno instead of an error, Python's `connect_ex`: 0 once
   * connected, else the error's number (111 ECONNREFUSED, ...), and EAGAIN (11) past the socket's
   * timeout, as gevent's. Non-blocking: EINPROGRESS (115) when the connection is started,
   * EALREADY (114) while it is in progress, 0 once it is made, then EISCONN (106). Name resolution
   * errors (`gaierror`), bad arguments and the caller's kill or deadline still reject.
   */
  async connectEx(address: Address): Promise<number> {
    try {
      await this.connect(address);
      return 0;
    } catch (error) {
      if (error instanceof SocketTimeout) return constants.errno.EAGAIN;
      const code = (error as NodeJS.ErrnoException | null)?.code;
      const errno = typeof code === 'string' && !(error instanceof gaierror) ? (constants.errno as Record<string, number>)[code] : undefined;
      if (errno === undefined) throw error;
      return errno;
    }
  }

  /**
   * `connect` on a socket whose non-blocking connect was started: waits until it has ended (a
   * non-blocking call rejects with EALREADY instead), then reports how, as Linux's `connect` does.
   */
  async #connectAgain(): Promise<void> {
    await this._until(() => this.#connecting === undefined || this.closed, () => new BlockingIOError(undefined, 114));
    this._check();
    const outcome = this.#outcome;
    this.#outcome = undefined;
    if (outcome === 'connected') return;
    if (outcome !== undefined) throw outcome.error;
    if (this.#socket !== undefined) throw errnoError('EISCONN', '[Errno 106] Transport endpoint is already connected');
    // Another call reported the failure first.
    throw connectionAborted();
  }

  /**
   * The connect of a non-blocking socket, started and left to go on: the socket is attached once
   * connected; a failure is kept for the next call to report.
   */
  #connectInBackground(socket: net.Socket, options: net.TcpSocketConnectOpts): void {
    const settle = (outcome: 'connected' | { error: unknown }): void => {
      socket.off('connect', onConnect);
      socket.off('error', onError);
      if (this.#connecting !== socket) return; // closed meanwhile: `_release` destroyed it
      this.#connecting = undefined;
      if (outcome === 'connected') this.#attach(socket);
      this.#outcome = outcome;
      this._wake();
    };
    const onConnect = (): void => settle('connected');
    const onError = (error: unknown): void => {
      socket.on('error', noop);
      socket.destroy();
      settle({ error: systemError(error) });
    };
    socket.once('connect', onConnect);
    socket.once('error', onError);
    socket.connect(options); // its events come later, from the event loop
    this.#connecting = socket;
  }

  /** @internal Connects to a numeric address. */
  async _connectAddress(ip: string, port: number): Promise<void> {
    this._check();
    const socket = new net.Socket({ allowHalfOpen: true });
    const options: net.TcpSocketConnectOpts = { host: ip, port };
    if (this.#bound !== undefined) {
      options.localAddress = this.#bound[0];
      options.localPort = this.#bound[1];
    }
    try {
      await this._block<void>((resolve, reject, nonBlocking) => {
        if (nonBlocking) {
          // Python's EINPROGRESS: the attempt is made, not dropped, and this call says so.
          this.#connectInBackground(socket, options);
          reject(new BlockingIOError(undefined, 115));
          return noop;
        }
        const onError = (error: Error): void => reject(systemError(error));
        // Destroyed by `close` (in another greenlet): the connect fails as every call on a closed socket.
        const onClose = (): void => reject(this.closed ? closedSocketError() : connectionAborted());
        socket.once('connect', resolve);
        socket.once('error', onError);
        socket.once('close', onClose);
        this.#dialing = socket;
        socket.connect(options);
        return () => {
          if (this.#dialing === socket) this.#dialing = undefined;
          socket.off('connect', resolve);
          socket.off('error', onError);
          socket.off('close', onClose);
        };
      });
    } catch (error) {
      if (this.#connecting === socket) throw error; // EINPROGRESS: it goes on
      socket.on('error', noop);
      socket.destroy();
      throw error;
    }
    if (this.closed) {
      socket.destroy();
      throw closedSocketError();
    }
    this.#attach(socket);
  }

  /**
   * Writes all of `data` (a Buffer or Uint8Array; strings are refused) and waits until it is
   * handed to the kernel. An unconnected socket, or one shut down for writing, rejects with EPIPE
   * (errno 32), as Python; `close` in another greenlet rejects a pending call with EBADF.
   *
   * With a timeout, the bytes go in chunks, the next one once Node's buffer drained: past the
   * timeout the call rejects with `socket.timeout` and the chunks not yet written are not sent
   * (those written are), as Python's sendall may have sent part.
   *
   * Non-blocking (timeout 0): all of `data` or nothing. Node's write buffer plays the kernel's
   * send buffer: while it is below its high-water mark the bytes are queued and the call
   * resolves; once it is full (Node asks for a 'drain') the call rejects with `BlockingIOError`
   * and queues nothing, so a retry sends the bytes once. (Python may send part before it raises;
   * a Node write cannot be split, so here nothing is sent.) An error of the queued write
   * (EPIPE...) rejects the next call.
   */
  async sendall(data: Uint8Array): Promise<void> {
    const bytes = toBytes(data);
    if (this.#inBackground()) await this.#afterConnect();
    this._check();
    const socket = this.#socket;
    if (socket === undefined) throw brokenPipe();
    if (this.#error !== undefined) throw this.#error;
    if (!socket.writable) throw brokenPipe(); // after SHUT_WR
    if (bytes.length === 0) return;
    const chunked = this.timeout !== null && this.timeout > 0;
    await this._block<void>((resolve, reject, nonBlocking) => {
      if (nonBlocking) {
        // Decided before anything is written: a call that rejects has queued nothing.
        if (!socket.writable) reject(this.#error ?? brokenPipe());
        else if (socket.writableNeedDrain) reject(new BlockingIOError());
        else {
          socket.write(bytes); // a failure of the write itself reaches #error, for the next call
          resolve();
        }
        return noop;
      }
      const fail = (error?: Error | null): void => reject(this.closed ? closedSocketError() : (this.#error ?? (error ? systemError(error) : brokenPipe())));
      // Node 20 calls back a write that `close` discarded without an error: a closed socket fails it.
      const done = (error?: Error | null): void => (error || this.closed ? fail(error) : resolve());
      const onClose = (): void => fail();
      socket.once('close', onClose);
      if (!chunked) {
        socket.write(bytes, done);
        return () => socket.off('close', onClose);
      }
      let offset = 0;
      const pump = (): void => {
        while (offset < bytes.length) {
          const chunk = bytes.subarray(offset, offset + SEND_CHUNK);
          offset += chunk.length;
          const last = offset === bytes.length;
          const more = socket.write(chunk, last ? done : (error) => void (error && fail(error)));
          if (!more && !last) {
            socket.once('drain', pump);
            return;
          }
        }
      };
      pump();
      return () => {
        socket.off('drain', pump);
        socket.off('close', onClose);
      };
    });
  }

  /**
   * `sendall`, returning the number of bytes sent: all of them (EPIPE when unconnected, as Python). Non-blocking, `data.length` once
   * queued, or `BlockingIOError` with nothing sent when Node's write buffer is full (see `sendall`):
   * Python's send would take part; a Node write takes the whole chunk or, here, none of it.
   */
  async send(data: Uint8Array): Promise<number> {
    const bytes = toBytes(data);
    await this.sendall(bytes);
    return bytes.length;
  }

  /**
   * Up to `bufsize` bytes, as soon as some have arrived; an empty buffer once the peer closed
   * its side. A reset connection rejects with its error (ECONNRESET).
   */
  async recv(bufsize: number): Promise<Buffer> {
    validateSize(bufsize, 'bufsize');
    if (bufsize === 0) {
      if (this.#inBackground()) await this.#afterConnect();
      this.#connected();
      return Buffer.alloc(0);
    }
    await this.#read(1, () => this.#reader.length > 0);
    if (this.#reader.length > 0) return this.#take(bufsize);
    const error = this.#readError();
    if (error !== undefined) throw error;
    return Buffer.alloc(0);
  }

  /**
   * `recv` into `buffer` from its start, Python's `recv_into`: up to `nbytes` bytes (0: the
   * buffer's length), as soon as some have arrived. Resolves with how many; 0 once the peer closed
   * its side.
   */
  async recvInto(buffer: Uint8Array, nbytes = 0): Promise<number> {
    const n = intoSize(buffer, nbytes);
    const data = await this.recv(n);
    buffer.set(data);
    return data.length;
  }

  /**
   * Exactly `n` bytes. TCP has no message boundaries, so a message of known size needs this. If
   * the peer closes (or resets) first, rejects with `IncompleteReadError` (its `partial` holds what came)
   * or the reset error.
   */
  async recvExactly(n: number): Promise<Buffer> {
    validateSize(n, 'n');
    await this.#read(n, () => this.#reader.length >= n);
    if (this.#reader.length >= n) return this.#take(n);
    const error = this.#readError();
    if (error !== undefined) throw error;
    throw new IncompleteReadError(this.#take(this.#reader.length), n);
  }

  /**
   * Bytes up to and including `delimiter`. At EOF first, rejects with `IncompleteReadError`
   * (with the partial bytes); when `maxBytes` arrive without the delimiter, rejects with a
   * RangeError and leaves the bytes unread.
   */
  async readUntil(delimiter: Uint8Array | string = Buffer.from('\n'), maxBytes = Infinity): Promise<Buffer> {
    const delim = typeof delimiter === 'string' ? Buffer.from(delimiter) : toBytes(delimiter, 'delimiter');
    if (delim.length === 0) throw invalidArgType('delimiter', 'a non-empty delimiter', delimiter);
    if (maxBytes !== Infinity) validateSize(maxBytes, 'maxBytes');
    let at = -1;
    await this.#read(Infinity, () => (at = this.#reader.indexOf(delim)) !== -1 || this.#reader.length >= maxBytes);
    if (at !== -1 && at + delim.length <= maxBytes) return this.#take(at + delim.length);
    if (this.#reader.length >= maxBytes) throw new RangeError(`The delimiter was not found in the first ${maxBytes} bytes (maxBytes)`);
    const error = this.#readError();
    if (error !== undefined) throw error;
    throw new IncompleteReadError(this.#take(this.#reader.length), null);
  }

  /**
   * A line: bytes up to and including `\n`, like a file's `readline()`; at EOF the rest (possibly
   * empty); at most `limit` bytes.
   */
  async readline(limit = Infinity): Promise<Buffer> {
    if (limit !== Infinity) validateSize(limit, 'limit');
    const nl = Buffer.from('\n');
    let at = -1;
    await this.#read(Infinity, () => (at = this.#reader.indexOf(nl)) !== -1 || this.#reader.length >= limit);
    if (at !== -1) return this.#take(Math.min(at + 1, limit));
    if (this.#reader.length > 0) return this.#take(limit);
    const error = this.#readError();
    if (error !== undefined) throw error;
    return Buffer.alloc(0);
  }

  /**
   * Shuts down reading (`SHUT_RD`), writing (`SHUT_WR`: the peer reads EOF, a later send rejects
   * with EPIPE) or both (`SHUT_RDWR`). After `SHUT_RD`, as on Linux, reads still return the bytes
   * received (before or after it) and, when there are none, EOF at once instead of waiting.
   */
  shutdown(how: number): void {
    if (how !== SHUT_RD && how !== SHUT_WR && how !== SHUT_RDWR) throw invalidArgType('how', 'SHUT_RD, SHUT_WR or SHUT_RDWR', how);
    const socket = this.#connected();
    if (how !== SHUT_RD) socket.end();
    if (how !== SHUT_WR) {
      this.#readShut = true;
      this._wake();
    }
  }

  // -- server --------------------------------------------------------------------------------

  /**
   * Chooses the local address: for a listener, where `listen` will listen; for a client, the
   * source address of `connect`. The host is resolved now; the port is taken when `listen` (or
   * `connect`) runs, so EADDRINUSE surfaces there (Node binds and listens in one call).
   */
  async bind(address: Address): Promise<void> {
    const [host, port] = validateAddress(address, 'address', this.family);
    this._check();
    if (this.#socket !== undefined || this.#server !== undefined || this.#connecting !== undefined || this.#bound !== undefined) throw errnoError('EINVAL', '[Errno 22] Invalid argument: the socket is already bound');
    const ip = host === '' ? wildcardHost(this.family) : nodeHost((await getaddrinfo(host, port, { family: this.family, type: SOCK_STREAM }))[0]![4]);
    this.#bound = [ip, port];
  }

  /**
   * Starts listening on the bound address (an ephemeral port on every interface when not bound).
   * It does not block, so a non-blocking socket waits for Node's answer too.
   */
  async listen(backlog = 128): Promise<void> {
    validateSize(backlog, 'backlog');
    this._check();
    if (this.#server !== undefined) return;
    // A second call while the first is on its way joins it: Python's listen is one system call, so
    // `s.listen(5)` left un-awaited and then listened again must not open a second server.
    if (this.#listening !== undefined) return this.#listening;
    this.#listening = this.#listen(backlog).finally(() => { this.#listening = undefined; });
    return this.#listening;
  }

  async #listen(backlog: number): Promise<void> {
    if (this.#socket !== undefined || this.#connecting !== undefined) throw errnoError('EINVAL', '[Errno 22] Invalid argument: the socket is connected');
    const [host, port] = this.#bound ?? [wildcardHost(this.family), 0];
    // Paused until accepted: an accepted-but-unclaimed connection reads nothing, as one still in
    // the kernel's backlog would not.
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
    // `local`: Python's listen does not block; Node says 'listening' a tick later.
    await this._block<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(systemError(error));
      server.once('listening', resolve);
      server.once('error', onError);
      server.listen({ host, port, backlog: Math.max(backlog, 1) });
      return () => {
        server.off('listening', resolve);
        server.off('error', onError);
      };
    }, true).catch((error: unknown) => {
      server.close();
      throw error;
    });
    if (this.closed) {
      server.close();
      throw closedSocketError();
    }
    this.#server = server;
    server.on('connection', (raw: net.Socket) => {
      raw.on('error', noop); // until a handler takes it: a reset while queued must not crash
      this.#pending.push(raw);
      this._wake();
    });
    server.on('error', (error) => {
      this.#error ??= systemError(error);
      this._wake();
    });
  }

  /** @internal The next connection as a paused Node socket (StreamServer wraps it in its handler). */
  async _acceptRaw(): Promise<net.Socket> {
    this._check();
    if (this.#server === undefined) throw errnoError('EINVAL', '[Errno 22] Invalid argument: the socket is not listening');
    await this._until(() => this.#pending.length > 0 || this.closed || this.#error !== undefined);
    this._check();
    const raw = this.#pending.shift();
    if (raw === undefined) throw this.#error;
    return raw;
  }

  /** Number of connections accepted by Node but not yet taken by `accept`. */
  get pendingCount(): number {
    return this.#pending.length;
  }

  /**
   * Waits for a connection: `[socket, address]` (`[host, port]`, or `[host, port, flowinfo,
   * scopeId]` for IPv6), the socket owned by the calling greenlet.
   */
  async accept(): Promise<[TcpSocket, Address]> {
    const raw = await this._acceptRaw();
    const address = sockaddr(raw.remoteAddress ?? '', raw.remotePort ?? 0);
    return [TcpSocket._fromAccepted(raw, this), address];
  }

  /** The local address: `[host, port]`, or `[host, port, flowinfo, scopeId]` for IPv6; EBADF once closed. */
  getsockname(): Address {
    this._check();
    if (this.#server !== undefined) {
      const a = this.#server.address() as net.AddressInfo;
      return sockaddr(a.address, a.port);
    }
    if (this.#socket !== undefined) return sockaddr(this.#socket.localAddress ?? '', this.#socket.localPort ?? 0);
    const connecting = this.#connecting; // bound by the kernel once the connect started
    if (connecting?.localAddress !== undefined) return sockaddr(connecting.localAddress, connecting.localPort ?? 0);
    return sockaddr(...(this.#bound ?? [wildcardHost(this.family), 0]));
  }

  /** The peer's address: `[host, port]`, or `[host, port, flowinfo, scopeId]` for IPv6. */
  getpeername(): Address {
    const socket = this.#connected();
    return sockaddr(socket.remoteAddress ?? '', socket.remotePort ?? 0);
  }

  // -- options -------------------------------------------------------------------------------

  #optionList: SocketOption[] | undefined;

  /**
   * @internal The options `setsockopt` takes: `IPPROTO_TCP, TCP_NODELAY` and `SOL_SOCKET,
   * SO_KEEPALIVE` (applied to the connection, now or once there is one; an accepted socket has its
   * listener's), `SOL_SOCKET, SO_REUSEADDR` (1 on a listener: libuv sets it on every one).
   */
  protected override _socketOptions(): SocketOption[] {
    return (this.#optionList ??= [
      { level: IPPROTO_TCP, optname: TCP_NODELAY, get: () => this.#noDelay, set: (flag) => { this.#noDelay = flag; this.#socket?.setNoDelay(flag === 1); } },
      { level: SOL_SOCKET, optname: SO_KEEPALIVE, get: () => this.#keepAlive, set: (flag) => { this.#keepAlive = flag; this.#socket?.setKeepAlive(flag === 1); } },
      { level: SOL_SOCKET, optname: SO_REUSEADDR, get: () => (this.#server !== undefined ? 1 : this.#reuseAddr), set: (flag) => { this.#reuseAddr = flag; } },
    ]);
  }

  // -- closing -------------------------------------------------------------------------------

  /** @internal Closes the connection or the listener and its queued connections. */
  protected override _release(): void {
    this.#socket?.destroy();
    const connecting = this.#connecting;
    this.#connecting = undefined;
    connecting?.on('error', noop).destroy();
    this.#dialing?.on('error', noop).destroy(); // its 'close' rejects the connect
    this.#server?.close();
    for (const raw of this.#pending) raw.destroy();
    this.#pending = [];
    this.#reader.clear();
  }

  override toString(): string {
    const s = this.#socket;
    const state = this.closed ? 'closed' : this.#server ? `listening ${this.getsockname().slice(0, 2).join(':')}` : s ? `connected ${s.remoteAddress}:${s.remotePort}` : this.#connecting || this.#dialing ? 'connecting' : 'new';
    return `<TcpSocket ${state}>`;
  }
}
