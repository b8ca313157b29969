import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { currentScope, type Disposable, type Scope } from '../runtime/scope.js';
import { invalidArgType, secondsToMs } from '../runtime/validate.js';
import { AF_INET, AF_INET6, SOCK_DGRAM, block, getdefaulttimeout, ownerScope, toBytes, validateAddress, validateSize, type Address } from './common.js';
import { closedSocketError } from './errors.js';
import { getaddrinfo } from './resolver.js';

/** Options of a UDP socket. */
export interface UdpSocketOptions {
  /** `AF_INET` or `AF_INET6`. @default AF_INET */
  family?: number;
  /** Seconds each blocking operation may take (null: no limit, 0: non-blocking). @default getdefaulttimeout() */
  timeout?: number | null;
  /**
   * Datagrams kept while nobody calls `recvfrom`; more are dropped, as a full kernel receive
   * buffer drops them. @default 1024
   */
  maxQueued?: number;
}

function noop(): void {}

/**
 * A green UDP socket: `bind`, `sendto(data, [host, port])`, `recvfrom(max)` →
 * `[data, [host, port]]`. Each datagram is a message: `recvfrom` returns one, cut to `bufsize` (the
 * rest is discarded, as in Python). The socket belongs to the greenlet that created it.
 *
 * @example
 * ```ts
 * const client = new UdpSocket();
 * await client.sendto(Buffer.from('Hey!'), ['localhost', 6789]);
 * const [data, server] = await client.recvfrom(4096);
 * client.close();
 * ```
 */
export class UdpSocket {
  readonly family: number;
  readonly type = SOCK_DGRAM;
  #timeout: number | null;
  #timeoutMs: number | undefined;
  #maxQueued: number;
  #socket: dgram.Socket | undefined;
  #binding: Promise<void> | undefined;
  #queue: Array<[Buffer, Address]> = [];
  #dropped = 0;
  #error: unknown = undefined;
  #closed = false;
  #waiters = new Set<() => void>();
  #owner: Scope | undefined;
  #owned: Disposable = { dispose: () => this.#shut() };

  constructor(options: UdpSocketOptions = {}) {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'an object', options);
    const family = options.family ?? AF_INET;
    if (family !== AF_INET && family !== AF_INET6) throw invalidArgType('options.family', 'AF_INET or AF_INET6', family);
    this.family = family;
    const seconds = options.timeout === undefined ? getdefaulttimeout() : options.timeout;
    this.#timeoutMs = secondsToMs(seconds, 'options.timeout');
    this.#timeout = seconds ?? null;
    this.#maxQueued = options.maxQueued === undefined ? 1024 : validateSize(options.maxQueued, 'options.maxQueued');
    this.#owner = ownerScope();
    this.#owner?.own(this.#owned);
  }

  /** The timeout in seconds (null: none). */
  get timeout(): number | null {
    return this.#timeout;
  }

  /** Sets how long each blocking call may wait (see `TcpSocket.settimeout`). */
  settimeout(seconds: number | null): void {
    this.#timeoutMs = secondsToMs(seconds, 'timeout');
    this.#timeout = seconds ?? null;
  }

  gettimeout(): number | null {
    return this.#timeout;
  }

  setblocking(flag: boolean): void {
    this.settimeout(flag ? null : 0);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Datagrams dropped because `maxQueued` were waiting. */
  get droppedCount(): number {
    return this.#dropped;
  }

  #check(): void {
    const scope = currentScope();
    if (scope?.aborted) throw scope.reason;
    if (this.#closed) throw closedSocketError();
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  #create(): dgram.Socket {
    if (this.#socket !== undefined) return this.#socket;
    const socket = dgram.createSocket({ type: this.family === AF_INET6 ? 'udp6' : 'udp4' });
    socket.on('message', (msg, rinfo) => {
      if (this.#queue.length >= this.#maxQueued) {
        this.#dropped++;
        return;
      }
      this.#queue.push([msg, [rinfo.address, rinfo.port]]);
      this.#wake();
    });
    socket.on('error', (error) => {
      this.#error ??= error;
      this.#wake();
    });
    this.#socket = socket;
    return socket;
  }

  async #resolve(host: string, port: number): Promise<string> {
    if (host === '') return this.family === AF_INET6 ? '::' : '0.0.0.0';
    if (host === '<broadcast>') return '255.255.255.255';
    if (isIP(host) !== 0) return host;
    return (await getaddrinfo(host, port, { family: this.family, type: SOCK_DGRAM }))[0]![4][0];
  }

  /** Binds to `[host, port]` (port 0: any free port). Errors such as EADDRINUSE reject here. */
  async bind(address: Address): Promise<void> {
    const [host, port] = validateAddress(address);
    this.#check();
    if (this.#binding !== undefined) throw Object.assign(new Error('[Errno 22] Invalid argument: the socket is already bound'), { code: 'EINVAL' });
    const ip = await this.#resolve(host, port);
    this.#check();
    const socket = this.#create();
    this.#binding = block<void>(this.#timeoutMs, (resolve, reject) => {
      socket.once('listening', resolve);
      socket.once('error', reject);
      socket.bind({ address: ip, port });
      return () => {
        socket.off('listening', resolve);
        socket.off('error', reject);
      };
    });
    await this.#binding;
  }

  /**
   * Sends `data` (a Buffer or Uint8Array; strings are refused) as one datagram to `[host, port]`;
   * resolves with the number of bytes sent. An unbound socket gets an ephemeral port.
   */
  async sendto(data: Uint8Array, address: Address): Promise<number> {
    const bytes = toBytes(data);
    const [host, port] = validateAddress(address);
    this.#check();
    const ip = await this.#resolve(host, port);
    this.#check();
    const socket = this.#create();
    this.#binding ??= Promise.resolve(); // send binds implicitly
    await block<void>(this.#timeoutMs, (resolve, reject) => {
      socket.send(bytes, port, ip, (error) => (error ? reject(error) : resolve()));
      return noop;
    });
    return bytes.length;
  }

  /** The next datagram, cut to `bufsize` bytes, and its sender: `[data, [host, port]]`. */
  async recvfrom(bufsize: number): Promise<[Buffer, Address]> {
    validateSize(bufsize, 'bufsize');
    this.#check();
    await block<void>(this.#timeoutMs, (resolve) => {
      const ready = (): boolean => this.#queue.length > 0 || this.#closed || this.#error !== undefined;
      if (ready()) {
        resolve();
        return noop;
      }
      const waiter = (): void => {
        if (ready()) resolve();
      };
      this.#waiters.add(waiter);
      return () => this.#waiters.delete(waiter);
    });
    this.#check();
    const next = this.#queue.shift();
    if (next === undefined) throw this.#error;
    const [msg, from] = next;
    return [msg.length > bufsize ? msg.subarray(0, bufsize) : msg, from];
  }

  /** `recvfrom` without the sender. */
  async recv(bufsize: number): Promise<Buffer> {
    return (await this.recvfrom(bufsize))[0];
  }

  /** The local `[host, port]` (after `bind` or a first `sendto`). */
  getsockname(): Address {
    try {
      const a = this.#socket?.address();
      if (a !== undefined) return [a.address, a.port];
    } catch {
      // not bound yet
    }
    return [this.family === AF_INET6 ? '::' : '0.0.0.0', 0];
  }

  #shut(): void {
    if (this.#closed) return;
    this.#closed = true;
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
    this.#wake();
  }

  /** Closes the socket. Idempotent. */
  close(): void {
    this.#shut();
    this.#owner?.disown(this.#owned);
  }

  /** The current greenlet adopts the socket: killing it (not the old owner) closes the socket. */
  adopt(): this {
    this.#owner?.disown(this.#owned);
    this.#owner = ownerScope();
    this.#owner?.own(this.#owned);
    return this;
  }

  toString(): string {
    return `<UdpSocket ${this.#closed ? 'closed' : this.getsockname().join(':')}>`;
  }
}
