import { secondsToMs } from '../internal/validate.js';

// Python's socket-module default timeout, read by every socket when it is made.

let defaultTimeout: number | null = null;

/**
 * The timeout, in seconds, new sockets start with (Python's `socket.setdefaulttimeout`); null
 * means blocking without limit.
 *
 * @example
 * ```ts runnable
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
 * ```ts runnable
 * import { getdefaulttimeout } from 'nodevent/net';
 * console.log(getdefaulttimeout()); // null until setdefaulttimeout is called
 * ```
 */
export function getdefaulttimeout(): number | null {
  return defaultTimeout;
}
