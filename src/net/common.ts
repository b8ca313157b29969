import { getCurrent } from '../runtime/greenlet.js';
import { currentScope, type Scope } from '../runtime/scope.js';
import { rawClearTimeout, rawSetTimeout } from '../runtime/timers.js';
import { invalidArgType, outOfRange, secondsToMs } from '../runtime/validate.js';
import { BlockingIOError, timeout } from './errors.js';

// Python's socket constants, with Linux's values (what `socket.AF_INET6` etc. are there).
export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const IPPROTO_IP = 0;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const AI_PASSIVE = 0x1;
export const AI_CANONNAME = 0x2;
export const AI_NUMERICHOST = 0x4;
export const AI_V4MAPPED = 0x8;
export const AI_ALL = 0x10;
export const AI_ADDRCONFIG = 0x20;
export const AI_NUMERICSERV = 0x400;
export const NI_NUMERICHOST = 0x1;
export const NI_NUMERICSERV = 0x2;
export const NI_NOFQDN = 0x4;
export const NI_NAMEREQD = 0x8;
export const NI_DGRAM = 0x10;
export const SHUT_RD = 0;
export const SHUT_WR = 1;
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
 * (undefined: no limit; 0: non-blocking) and the current scope. `register(resolve, reject)` arms
 * the operation and returns its cleanup, which runs however the wait ends, so an abandoned wait
 * never consumes data later.
 */
export function block<T>(
  ms: number | undefined,
  register: (resolve: (value: T) => void, reject: (error: unknown) => void) => () => void,
  scope: Scope | undefined = currentScope(),
): Promise<T> {
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
    cleanup = register((value) => finish(resolve, value), (error) => finish(reject, error));
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
 */
export function setdefaulttimeout(seconds: number | null): void {
  secondsToMs(seconds, 'seconds');
  defaultTimeout = seconds ?? null;
}

/** The timeout new sockets start with. */
export function getdefaulttimeout(): number | null {
  return defaultTimeout;
}
