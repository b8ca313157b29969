import dgram from 'node:dgram';
import { nodeHost, sockaddr, validateAddress, wildcardHost, type Address } from './address.js';
import { intoSize, toBytes, validateSize } from './bytes.js';
import { BlockingIOError, errnoError, systemError } from './errors.js';
import { AF_INET6, SOCK_DGRAM, SOL_SOCKET, SO_BROADCAST, SO_REUSEADDR } from './constants.js';
import type { SocketOption } from './sockopt.js';
import { getaddrinfo } from './resolver.js';
import { SocketBase, noop, type SocketBaseOptions } from './socketbase.js';
import { ipFamily } from '../resolver/addresses.js';
import { rawClearImmediate, rawSetImmediate } from '../internal/timers.js';

/** Options of a UDP socket. */
export interface UdpSocketOptions extends SocketBaseOptions {
  /**
   * Datagrams kept while nobody calls `recvfrom`; more are dropped, as a full kernel receive
   * buffer drops them. @default 1024
   */
  maxQueued?: number;
}

/**
 * A green UDP socket: `bind`, `sendto(data, [host, port])`, `recvfrom(max)` →
 * `[data, [host, port]]`. Each datagram is a message: `recvfrom` returns one, cut to `bufsize` (the
 * rest is discarded, as in Python). The socket belongs to the greenlet that created it.
 *
 * @example
 * ```ts runnable
 * import { DatagramServer, UdpSocket } from 'nodevent/net';
 * const echo = new DatagramServer(['127.0.0.1', 0], async (data, address, srv) => { await srv.sendto(data, address); });
 * await echo.start();
 * const client = new UdpSocket();
 * await client.sendto(Buffer.from('Hey!'), ['127.0.0.1', echo.serverPort]);
 * const [data, server] = await client.recvfrom(4096);
 * console.log(data.toString(), server); // Hey! [ '127.0.0.1', <the server's port> ]
 * client.close();
 * await echo.stop();
 * ```
 */
export class UdpSocket extends SocketBase {
  readonly type = SOCK_DGRAM;
  #maxQueued: number;
  #socket: dgram.Socket | undefined;
  #binding: Promise<void> | undefined;
  #queue: Array<[Buffer, Address]> = [];
  #dropped = 0;
  /** An error Node reported (a connected socket's ECONNREFUSED, say): the next receive rejects with it, once. */
  #error: unknown = undefined;
  /** The peer set by `connect`. */
  #peer: Address | undefined;
  // Options set with setsockopt (0 or 1): SO_REUSEADDR is given to the socket when it is made (at
  // bind or the first sendto), SO_BROADCAST once it is bound.
  #reuseAddr: 0 | 1 = 0;
  #broadcast: 0 | 1 = 0;

  constructor(options: UdpSocketOptions = {}) {
    super(options);
    this.#maxQueued = options.maxQueued === undefined ? 1024 : validateSize(options.maxQueued, 'options.maxQueued');
    this._own();
  }

  /** Datagrams dropped because `maxQueued` were waiting. */
  get droppedCount(): number {
    return this.#dropped;
  }

  #create(): dgram.Socket {
    if (this.#socket !== undefined) return this.#socket;
    const socket = dgram.createSocket({ type: this.family === AF_INET6 ? 'udp6' : 'udp4', reuseAddr: this.#reuseAddr === 1 });
    socket.on('message', (msg, rinfo) => {
      if (this.#queue.length >= this.#maxQueued) {
        this.#dropped++;
        return;
      }
      this.#queue.push([msg, sockaddr(rinfo.address, rinfo.port)]);
      this._wake();
    });
    socket.on('error', (error) => {
      this.#error ??= systemError(error);
      this._wake();
    });
    this.#socket = socket;
    return socket;
  }

  async #resolve(host: string, port: number): Promise<string> {
    if (host === '') return wildcardHost(this.family);
    if (host === '<broadcast>') return '255.255.255.255';
    if (ipFamily(host) !== 0) return host;
    return nodeHost((await getaddrinfo(host, port, { family: this.family, type: SOCK_DGRAM }))[0]![4]);
  }

  /**
   * Binds to `[host, port]` (port 0: any free port). Errors such as EADDRINUSE reject here. It does
   * not block, so a non-blocking socket waits for Node's answer too.
   */
  async bind(address: Address): Promise<void> {
    const [host, port] = validateAddress(address, 'address', this.family);
    this._check();
    if (this.#binding !== undefined) throw errnoError('EINVAL', '[Errno 22] Invalid argument: the socket is already bound');
    const ip = await this.#resolve(host, port);
    this._check();
    const socket = this.#create();
    this.#binding = this._block<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(systemError(error));
      socket.once('listening', resolve);
      socket.once('error', onError);
      socket.bind({ address: ip, port });
      return () => {
        socket.off('listening', resolve);
        socket.off('error', onError);
      };
    }, true);
    await this.#binding;
    if (this.#broadcast === 1) socket.setBroadcast(true);
  }

  /**
   * Sends `data` (a Buffer or Uint8Array; strings are refused) as one datagram to `[host, port]`;
   * resolves with the number of bytes sent. An unbound socket gets an ephemeral port.
   * Non-blocking (timeout 0), as Python's: resolves once the datagram is handed over (the kernel
   * rarely refuses one), rejects with the kernel's error (EMSGSIZE...) having sent nothing, or
   * with `BlockingIOError`, sending nothing, while Node holds datagrams the kernel could not take yet.
   */
  async sendto(data: Uint8Array, address: Address): Promise<number> {
    const bytes = toBytes(data);
    const [host, port] = validateAddress(address, 'address', this.family);
    this._check();
    // Linux would send there anyway; Node's connected sockets send only to their peer.
    if (this.#peer !== undefined) throw errnoError('EISCONN', '[Errno 106] Transport endpoint is already connected: a connected datagram socket sends to its peer, with send()');
    const ip = await this.#resolve(host, port);
    this._check();
    // Node binds a socket at its first send, too late for the broadcast flag that send needs.
    if (this.#binding === undefined && this.#broadcast === 1) await this.bind(['', 0]);
    const socket = this.#create();
    this.#binding ??= Promise.resolve(); // send binds implicitly
    await this.#send(socket, (done) => socket.send(bytes, port, ip, done));
    return bytes.length;
  }

  /**
   * Hands one datagram to Node with `send(done)`. Blocking, or with a timeout: waits for Node's
   * callback, as ever.
   *
   * Non-blocking: Python's `sendto` returns once the kernel took the datagram, raises its error
   * (EMSGSIZE...) at once, and raises `BlockingIOError` having sent nothing when the kernel's send
   * buffer is full. Node offers the datagram to the kernel at once too (the callback follows
   * within the tick, with the kernel's error if any), but where the kernel says EAGAIN, libuv keeps
   * the datagram in its send queue and sends it later: it cannot be taken back. So the faithful
   * mapping is: datagrams already waiting in libuv's queue mean the buffer is full, and the call
   * rejects with `BlockingIOError` without sending; otherwise the datagram is sent and the call
   * resolves with the callback, or as soon as the datagram is seen in libuv's queue (it will go;
   * an error it meets later rejects the next receive, as Node's other late errors do).
   */
  #send(socket: dgram.Socket, send: (done: (error: Error | null) => void) => void): Promise<void> {
    return this._block<void>((resolve, reject, nonBlocking) => {
      if (!nonBlocking) {
        send((error) => (error ? reject(systemError(error)) : resolve()));
        return noop;
      }
      if (socket.getSendQueueCount() > 0) {
        reject(new BlockingIOError());
        return noop;
      }
      let waiting = true;
      send((error) => {
        if (waiting) {
          if (error) reject(systemError(error));
          else resolve();
        } else if (error) {
          this.#error ??= systemError(error);
          this._wake();
        }
      });
      // Node sends after a lookup of the (numeric) address and, unbound, an implicit bind: ticks.
      let immediate = rawSetImmediate(function look() {
        if (socket.getSendQueueCount() > 0) resolve(); // queued by libuv: it will be sent
        else immediate = rawSetImmediate(look);
      });
      return () => {
        waiting = false;
        rawClearImmediate(immediate);
      };
    }, true);
  }

  /**
   * Sets the peer, Python's `connect` on a datagram socket: `send` goes there, and only its
   * datagrams arrive (the kernel drops the others). Nothing is sent. An unbound socket is bound to
   * an ephemeral port first, so `getsockname` then gives the local address of the route to the
   * peer. Connecting again changes the peer. It does not block: a non-blocking socket waits for
   * Node's answer too.
   */
  async connect(address: Address): Promise<void> {
    const [host, port] = validateAddress(address, 'address', this.family);
    this._check();
    const ip = await this.#resolve(host, port);
    this._check();
    if (this.#binding === undefined) await this.bind(['', 0]);
    const socket = this.#create();
    if (this.#peer !== undefined) {
      socket.disconnect();
      this.#peer = undefined;
    }
    // `local`: Python's connect of a datagram socket does not block; Node answers after a lookup.
    await this._block<void>((resolve, reject) => {
      socket.connect(port, ip, (error?: Error) => (error ? reject(systemError(error)) : resolve()));
      return noop;
    }, true);
    this.#peer = sockaddr(ip, port);
  }

  /**
   * Sends `data` as one datagram to the peer set by `connect`; resolves with the number of bytes
   * sent. Without a peer, rejects with EDESTADDRREQ, as Python. Non-blocking: as `sendto`.
   */
  async send(data: Uint8Array): Promise<number> {
    const bytes = toBytes(data);
    this._check();
    const socket = this.#socket;
    if (socket === undefined || this.#peer === undefined) throw errnoError('EDESTADDRREQ', '[Errno 89] Destination address required');
    await this.#send(socket, (done) => socket.send(bytes, done));
    return bytes.length;
  }

  /**
   * `send`, resolving with nothing, Python's `sendall` on a datagram socket: the datagram goes
   * whole or not at all. Without a peer, EDESTADDRREQ.
   */
  async sendall(data: Uint8Array): Promise<void> {
    await this.send(data);
  }

  /** The peer set by `connect`; ENOTCONN without one. */
  getpeername(): Address {
    this._check();
    if (this.#peer === undefined) throw errnoError('ENOTCONN', '[Errno 107] Transport endpoint is not connected');
    return this.#peer;
  }

  /**
   * The next datagram, cut to `bufsize` bytes, and its sender: `[data, address]` (`[host, port]`,
   * or `[host, port, flowinfo, scopeId]` for IPv6).
   */
  async recvfrom(bufsize: number): Promise<[Buffer, Address]> {
    validateSize(bufsize, 'bufsize');
    this._check();
    await this._until(() => this.#queue.length > 0 || this.closed || this.#error !== undefined);
    this._check();
    const next = this.#queue.shift();
    if (next === undefined) {
      // Once, as the kernel reports it once: the socket stays usable, as in Python.
      const error = this.#error;
      this.#error = undefined;
      throw error;
    }
    const [msg, from] = next;
    return [msg.length > bufsize ? msg.subarray(0, bufsize) : msg, from];
  }

  /**
   * `recvfrom` into `buffer` from its start, Python's `recvfrom_into`: the next datagram, cut to
   * `nbytes` (0: the buffer's length; the rest is discarded), and its sender: `[count, address]`.
   */
  async recvfromInto(buffer: Uint8Array, nbytes = 0): Promise<[number, Address]> {
    const n = intoSize(buffer, nbytes);
    const [data, from] = await this.recvfrom(n);
    buffer.set(data);
    return [data.length, from];
  }

  /** `recvfromInto` without the sender, Python's `recv_into`. */
  async recvInto(buffer: Uint8Array, nbytes = 0): Promise<number> {
    return (await this.recvfromInto(buffer, nbytes))[0];
  }

  /** `recvfrom` without the sender. */
  async recv(bufsize: number): Promise<Buffer> {
    return (await this.recvfrom(bufsize))[0];
  }

  /**
   * The local address (after `bind` or a first `sendto`): `[host, port]`, or `[host, port,
   * flowinfo, scopeId]` for IPv6; EBADF once closed.
   */
  getsockname(): Address {
    this._check();
    try {
      const a = this.#socket?.address();
      if (a !== undefined) return sockaddr(a.address, a.port);
    } catch {
      // not bound yet
    }
    return sockaddr(wildcardHost(this.family), 0);
  }

  #optionList: SocketOption[] | undefined;

  /**
   * @internal The options `setsockopt` takes: `SOL_SOCKET, SO_BROADCAST` (applied once bound; a
   * first `sendto` then binds before it sends) and `SOL_SOCKET, SO_REUSEADDR` (given to the socket
   * when `bind` or the first `sendto` makes it; later, it changes nothing, as after Python's bind).
   */
  protected override _socketOptions(): SocketOption[] {
    return (this.#optionList ??= [
      { level: SOL_SOCKET, optname: SO_BROADCAST, get: () => this.#broadcast, set: (flag) => this.#setBroadcast(flag) },
      { level: SOL_SOCKET, optname: SO_REUSEADDR, get: () => this.#reuseAddr, set: (flag) => { this.#reuseAddr = flag; } },
    ]);
  }

  #setBroadcast(flag: 0 | 1): void {
    this.#broadcast = flag;
    // Bound already (by bind, or by a first sendto once it has gone): now; else when bound.
    const socket = this.#socket;
    if (socket === undefined) return;
    try {
      socket.setBroadcast(flag === 1);
    } catch {
      socket.once('listening', () => socket.setBroadcast(this.#broadcast === 1));
    }
  }

  /** @internal Closes the Node socket and drops the queued datagrams. */
  protected override _release(): void {
    const socket = this.#socket;
    if (socket !== undefined) {
      socket.on('error', noop);
      try {
        socket.close();
      } catch {
        // never bound: nothing to close
      }
    }
    this.#queue = [];
  }

  override toString(): string {
    return `<UdpSocket ${this.closed ? 'closed' : this.getsockname().slice(0, 2).join(':')}>`;
  }
}
