import { getCurrent } from '../runtime/greenlet.js';
import { currentScope, waitScope, type Scope } from '../runtime/scope.js';
import { rawClearTimeout, rawSetTimeout } from '../internal/timers.js';
import { invalidArgType, outOfRange, secondsToMs } from '../internal/validate.js';
import { BlockingIOError, timeout } from './errors.js';

// Python's socket constants, with Linux's values (what `socket.AF_INET6` etc. are there).
/** Address family: any (IPv4 or IPv6). @example `getaddrinfo('localhost', 80, { family: AF_UNSPEC })` */
export const AF_UNSPEC = 0;
/** Address family: IPv4. @example `getaddrinfo('localhost', 80, { family: AF_INET })` */
export const AF_INET = 2;
/** Address family: IPv6. @example `socket(AF_INET6, SOCK_STREAM)` */
export const AF_INET6 = 10;
/** Socket type: a stream (TCP). @example `socket(AF_INET, SOCK_STREAM)` */
export const SOCK_STREAM = 1;
/** Socket type: datagrams (UDP). @example `socket(AF_INET, SOCK_DGRAM)` */
export const SOCK_DGRAM = 2;
/** Socket type: raw (only a `getaddrinfo` filter here: no raw sockets). @example `getaddrinfo('localhost', 0, { type: SOCK_RAW })` */
export const SOCK_RAW = 3;
/** Protocol: any (the default of `getaddrinfo`). @example `getaddrinfo('localhost', 80, { proto: IPPROTO_IP })` */
export const IPPROTO_IP = 0;
/** Protocol: TCP. @example `getaddrinfo('localhost', 80, { proto: IPPROTO_TCP })` */
export const IPPROTO_TCP = 6;
/** Protocol: UDP. @example `getaddrinfo('localhost', 53, { proto: IPPROTO_UDP })` */
export const IPPROTO_UDP = 17;
/** `getaddrinfo` flag: a null host means the wildcard address (for bind), not loopback. @example `getaddrinfo(null, 8080, { flags: AI_PASSIVE })` */
export const AI_PASSIVE = 0x1;
/** `getaddrinfo` flag: fill in the canonical name of the first result. @example `getaddrinfo('localhost', 80, { flags: AI_CANONNAME })` */
export const AI_CANONNAME = 0x2;
/** `getaddrinfo` flag: the host must be an IP literal (no lookup). @example `getaddrinfo('127.0.0.1', 80, { flags: AI_NUMERICHOST })` */
export const AI_NUMERICHOST = 0x4;
/** `getaddrinfo` flag: with `AF_INET6`, return IPv4 addresses as IPv4-mapped IPv6. @example `getaddrinfo('127.0.0.1', 80, { family: AF_INET6, flags: AI_V4MAPPED })` */
export const AI_V4MAPPED = 0x8;
/** `getaddrinfo` flag: with `AI_V4MAPPED`, return both IPv6 and mapped IPv4 addresses. @example `getaddrinfo('localhost', 80, { family: AF_INET6, flags: AI_V4MAPPED | AI_ALL })` */
export const AI_ALL = 0x10;
/** `getaddrinfo` flag: only families configured on this host. @example `getaddrinfo('localhost', 80, { flags: AI_ADDRCONFIG })` */
export const AI_ADDRCONFIG = 0x20;
/** `getaddrinfo` flag: the port must be numeric (no service-name lookup). @example `getaddrinfo('localhost', '80', { flags: AI_NUMERICSERV })` */
export const AI_NUMERICSERV = 0x400;
/** `getnameinfo` flag: keep the address numeric (no reverse lookup). @example `getnameinfo(['127.0.0.1', 80], NI_NUMERICHOST)` */
export const NI_NUMERICHOST = 0x1;
/** `getnameinfo` flag: keep the port numeric (no service name). @example `getnameinfo(['127.0.0.1', 80], NI_NUMERICSERV)` */
export const NI_NUMERICSERV = 0x2;
/** `getnameinfo` flag: keep only the first label of the host name. @example `getnameinfo(['127.0.0.1', 80], NI_NOFQDN)` */
export const NI_NOFQDN = 0x4;
/** `getnameinfo` flag: reject with `gaierror` when the address has no name. @example `getnameinfo(['192.0.2.1', 80], NI_NAMEREQD)` */
export const NI_NAMEREQD = 0x8;
/** `getnameinfo` flag: name the UDP service of the port rather than the TCP one. @example `getnameinfo(['127.0.0.1', 53], NI_DGRAM)` */
export const NI_DGRAM = 0x10;
/** `shutdown` mode: stop reading. @example `sock.shutdown(SHUT_RD)` */
export const SHUT_RD = 0;
/** `shutdown` mode: stop writing (the peer reads EOF). @example `sock.shutdown(SHUT_WR)` */
export const SHUT_WR = 1;
/** `shutdown` mode: stop reading and writing. @example `sock.shutdown(SHUT_RDWR)` */
export const SHUT_RDWR = 2;

/** A socket address as Python writes it: `[host, port]`. */
export type Address = [host: string, port: number];

/** The address meaning every interface of `family` (Python's `''` host): `'::'` or `'0.0.0.0'`. */
export function wildcardHost(family: number): string {
  return family === AF_INET6 ? '::' : '0.0.0.0';
}

/** Checks a port number: an integer in 0–65535. */
export function validatePort(value: unknown, name = 'port'): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw outOfRange(name, '>= 0 and <= 65535', value);
  return value;
}

/** Checks a `[host, port]` pair. */
export function validateAddress(value: unknown, name = 'address'): Address {
  if (!Array.isArray(value) || value.length < 2) throw invalidArgType(name, 'a [host, port] array', value);
  const [host, port] = value as unknown[];
  if (typeof host !== 'string') throw invalidArgType(`${name}[0]`, 'of type string (the host)', host);
  return [host, validatePort(port, `${name}[1]`)];
}

/** Sockets carry bytes: a string is refused, as Python 3 refuses `str` (encode it first). */
export function toBytes(value: unknown, name = 'data'): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === 'string') {
    throw invalidArgType(name, 'a Buffer or Uint8Array (bytes, not str: encode the string, e.g. Buffer.from(text))', value);
  }
  throw invalidArgType(name, 'a Buffer or Uint8Array', value);
}

/** Checks a byte count given to recv-like calls. */
export function validateSize(value: unknown, name: string): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value) || value < 0) throw outOfRange(name, 'a non-negative integer', value);
  return value;
}

/**
 * Blocks the calling greenlet until `register` settles, within the socket timeout `ms`
 * (undefined: no limit; 0: non-blocking) and the scope of the wait (`waitScope()`, as for the
 * runtime's own waits). `register(resolve, reject)` arms the operation and returns its cleanup,
 * which runs however the wait ends, so an abandoned wait never consumes data later.
 *
 * After a kill the wait is the waiter's: a greenlet that caught its kill and calls `recv` again
 * waits for data like code outside any greenlet (a loop on `recv` cannot spin the CPU). A kill
 * that reached nothing the body awaited rejects the first wait after it, before anything starts.
 */
export function block<T>(
  ms: number | undefined,
  register: (resolve: (value: T) => void, reject: (error: unknown) => void) => () => void,
): Promise<T> {
  const scope = waitScope();
  if (scope?.aborted) return Promise.reject(scope.reason);
  return new Promise<T>((resolve, reject) => {
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    let cleanup: (() => void) | undefined;
    const owned = { dispose: (reason: unknown) => finish(reject, reason) };
    function finish<V>(settle: (v: V) => void, value: V): void {
      if (done) return;
      done = true;
      if (timer !== undefined) rawClearTimeout(timer);
      scope?.disown(owned);
      cleanup?.();
      settle(value);
    }
    // The abort that closes the greenlet's socket wakes this wait before it disposes of the
    // wait itself: the caller must see the kill, not a closed socket.
    const succeed = (value: T): void => (scope?.aborted ? finish(reject, scope.reason) : finish(resolve, value));
    cleanup = register(succeed, (error) => finish(reject, error));
    if (done) {
      cleanup();
      return;
    }
    if (ms === 0) return finish(reject, new BlockingIOError());
    if (ms !== undefined) timer = rawSetTimeout(() => finish(reject, new timeout()), ms);
    scope?.own(owned);
  });
}

/**
 * True when `error` is why the current scope was aborted: the caller's kill or deadline (an abort
 * travels inward with its reason), as opposed to an error of the operation itself.
 * @internal
 */
export function isAbortReason(error: unknown): boolean {
  const scope = currentScope();
  return scope !== undefined && scope.aborted && scope.reason === error;
}

/**
 * The owner of a new socket: the running greenlet rather than a nested timeout scope, so a socket
 * connected under `withTimeout` lives on with the greenlet; outside greenlets, the current scope.
 */
export function ownerScope(): Scope | undefined {
  return getCurrent() ?? currentScope();
}

let defaultTimeout: number | null = null;

/**
 * The timeout, in seconds, new sockets start with (Python's `socket.setdefaulttimeout`); null
 * means blocking without limit.
 *
 * @example
 * ```ts
 * import { setdefaulttimeout } from 'nodevent/net';
 * setdefaulttimeout(10); // sockets created from now on time out after 10 s
 * ```
 */
export function setdefaulttimeout(seconds: number | null): void {
  secondsToMs(seconds, 'seconds');
  defaultTimeout = seconds ?? null;
}

/**
 * The timeout new sockets start with, in seconds (null: no limit).
 *
 * @example
 * ```ts
 * import { getdefaulttimeout } from 'nodevent/net';
 * console.log(getdefaulttimeout()); // null until setdefaulttimeout is called
 * ```
 */
export function getdefaulttimeout(): number | null {
  return defaultTimeout;
}
