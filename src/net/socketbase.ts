import { Event } from '../runtime/event.js';
import type { ScopeResource, Scope } from '../runtime/scope.js';
import { invalidArgType, secondsToMs } from '../internal/validate.js';
import { block, type Register } from './block.js';
import { AF_INET, AF_INET6 } from './constants.js';
import { getdefaulttimeout } from './defaulttimeout.js';
import { ownerScope } from './owner.js';
import { closedSocketError } from './errors.js';
import { getOption, setOption, type SocketOption } from './sockopt.js';

/** Options every green socket takes. */
export interface SocketBaseOptions {
  /** `AF_INET` or `AF_INET6`. @default AF_INET */
  family?: number;
  /** Seconds each blocking operation may take (null: no limit, 0: non-blocking). @default getdefaulttimeout() */
  timeout?: number | null;
}

/** A cleanup that has nothing to clean. */
export function noop(): void {}

/**
 * What TcpSocket and UdpSocket share: the family, the timeout (`settimeout`/`gettimeout`/
 * `setblocking`), the closed state, the greenlet that owns the socket (`close`, `adopt`) and the
 * waits of blocking calls, which end within the timeout and the scope of the wait (see `block`).
 *
 * A subclass validates its own options after `super(options)`, then calls `_own()` once its
 * fields are set, and releases its Node handles in `_release()`. A socket made in a greenlet that
 * was killed already belongs to nobody: the kill was delivered to what was outstanding then.
 */
export abstract class SocketBase {
  /** `AF_INET` or `AF_INET6`. */
  readonly family: number;
  #timeout: number | null;
  #timeoutMs: number | undefined;
  #closed = false;
  // Set by `_wake` (and replaced, so each wake is seen once): every pending `_until` is linked to
  // it and looks at its condition again. Made on first wait.
  #changed: Event | null = null;
  #owner: Scope | undefined;
  #owned: ScopeResource = { dispose: () => this.#shut() };

  protected constructor(options: SocketBaseOptions) {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'an object', options);
    const family = options.family ?? AF_INET;
    if (family !== AF_INET && family !== AF_INET6) throw invalidArgType('options.family', 'AF_INET or AF_INET6', family);
    this.family = family;
    const seconds = options.timeout === undefined ? getdefaulttimeout() : options.timeout;
    this.#timeoutMs = secondsToMs(seconds, 'options.timeout');
    this.#timeout = seconds ?? null;
  }

  /** @internal Gives the new socket to its owner (the running greenlet): the end of a subclass's constructor. */
  protected _own(): void {
    this.#owner = ownerScope();
    this.#owner?.own(this.#owned);
  }

  // -- timeouts ------------------------------------------------------------------------------

  /** The timeout in seconds (null: none). */
  get timeout(): number | null {
    return this.#timeout;
  }

  /**
   * Sets how long each blocking call may wait, in seconds: it then rejects with
   * `socket.timeout` and the socket stays usable. null waits forever. 0 makes the socket
   * non-blocking, as in Python: a call that cannot complete at once rejects with
   * `BlockingIOError` and has done nothing (no byte sent or consumed, so a retry repeats nothing),
   * a call that resolves has done its work, and `connect` starts the connection and rejects with
   * EINPROGRESS while it goes on (see `TcpSocket.connect`).
   */
  settimeout(seconds: number | null): void {
    this.#timeoutMs = secondsToMs(seconds, 'timeout');
    this.#timeout = seconds ?? null;
  }

  /** The timeout in seconds (null: none). */
  gettimeout(): number | null {
    return this.#timeout;
  }

  /** `setblocking(false)` is `settimeout(0)`; `setblocking(true)` is `settimeout(null)`. */
  setblocking(flag: boolean): void {
    this.settimeout(flag ? null : 0);
  }

  // -- options -------------------------------------------------------------------------------

  /**
   * Sets an option, Python's `setsockopt`; `value` is an integer or a boolean. A `TcpSocket` takes
   * `IPPROTO_TCP, TCP_NODELAY`, `SOL_SOCKET, SO_KEEPALIVE` and `SOL_SOCKET, SO_REUSEADDR`; a
   * `UdpSocket` `SOL_SOCKET, SO_BROADCAST` and `SOL_SOCKET, SO_REUSEADDR`. Another option throws
   * ENOPROTOOPT, as the kernel answers one it does not know.
   */
  setsockopt(level: number, optname: number, value: number | boolean): void {
    setOption(this.constructor.name, this._socketOptions(), () => this._check(), level, optname, value);
  }

  /** An option's value (0 or 1), Python's `getsockopt`: the options `setsockopt` takes. */
  getsockopt(level: number, optname: number): number {
    return getOption(this.constructor.name, this._socketOptions(), () => this._check(), level, optname);
  }

  /** @internal The options `setsockopt` and `getsockopt` take. */
  protected abstract _socketOptions(): readonly SocketOption[];

  // -- state ---------------------------------------------------------------------------------

  /** True once `close` was called or the owning greenlet was killed. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * @internal Throws the closed-socket error. A kill is not looked at here: it reaches the call
   * through its wait (`block`), once, so a greenlet that caught its kill can go on using sockets.
   */
  protected _check(): void {
    if (this.#closed) throw closedSocketError();
  }

  /** @internal Lets every pending `_until` look at its condition again. */
  protected _wake(): void {
    const changed = this.#changed;
    if (changed === null) return;
    this.#changed = null;
    changed.set();
  }

  /**
   * @internal `block` with this socket's timeout. At timeout 0, `register` must settle before it
   * returns or start nothing (it is told, see `block`); with `local`, the call waits for Node's
   * answer even then (bind, listen, a datagram handed to Node: calls Python never blocks in).
   */
  protected _block<T>(register: Register<T>, local = false): Promise<T> {
    return block<T>(this.#timeoutMs, register, local);
  }

  /**
   * @internal Waits (within the timeout and the current scope) until `ready()`, looked at on each
   * `_wake`. Non-blocking, a `ready()` that is false rejects at once, with `wouldBlock()` when
   * given (else `BlockingIOError`, EAGAIN); the wait itself changes nothing.
   */
  protected _until(ready: () => boolean, wouldBlock?: () => Error): Promise<void> {
    return this._block<void>((resolve, reject, nonBlocking) => {
      if (ready()) {
        resolve();
        return noop;
      }
      if (nonBlocking && wouldBlock !== undefined) {
        reject(wouldBlock());
        return noop;
      }
      let changed = (this.#changed ??= new Event());
      const look = (): void => {
        if (ready()) resolve();
        else (changed = this.#changed ??= new Event()).link(look);
      };
      changed.link(look);
      return () => changed.unlink(look);
    });
  }

  // -- closing -------------------------------------------------------------------------------

  /** @internal Destroys the subclass's Node handles and drops what it buffered (once, on close or kill). */
  protected abstract _release(): void;

  #shut(): void {
    if (this.#closed) return;
    this.#closed = true;
    this._release();
    this._wake();
  }

  /** Closes the socket (a TCP listener stops listening; its queued connections are closed). Idempotent. */
  close(): void {
    this.#shut();
    this.#owner?.disown(this.#owned);
  }

  /**
   * The current greenlet adopts the socket: from now on, killing it (not the old owner) closes
   * the socket. A greenlet that was killed already adopts nothing: the socket then has no owner.
   */
  adopt(): this {
    this.#owner?.disown(this.#owned);
    this.#owner = ownerScope();
    this.#owner?.own(this.#owned);
    return this;
  }
}
