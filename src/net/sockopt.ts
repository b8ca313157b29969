import { invalidArgType } from '../internal/validate.js';
import { errnoError } from './errors.js';

// What setsockopt/getsockopt share between the TCP and UDP sockets.

/** Checks an option's value: an integer (Python's), or a boolean as 1 or 0. Returns it as 0 or 1. */
function flagValue(value: unknown): 0 | 1 {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidArgType('value', 'an integer or a boolean', value);
  return value === 0 ? 0 : 1;
}

/** Checks `level` and `optname`: integers. */
function validateOption(level: unknown, optname: unknown): void {
  if (typeof level !== 'number' || !Number.isInteger(level)) throw invalidArgType('level', 'an integer (SOL_SOCKET, IPPROTO_TCP)', level);
  if (typeof optname !== 'number' || !Number.isInteger(optname)) throw invalidArgType('optname', 'an integer (SO_*, TCP_*)', optname);
}

/**
 * The error of an option the socket does not have, as the kernel answers one it does not know
 * (Python: `OSError: [Errno 92] Protocol not available`); the message names the option.
 */
function unknownOption(kind: string, level: number, optname: number): Error {
  return errnoError('ENOPROTOOPT', `[Errno 92] Protocol not available: ${kind} has no option ${optname} at level ${level}`, 92);
}

/** An option a socket has: its level and name, and where its 0 or 1 lives. */
export interface SocketOption {
  level: number;
  optname: number;
  get(): 0 | 1;
  set(flag: 0 | 1): void;
}

/** `setsockopt` over a socket's `options`: checks the arguments, then `ready()` (open?), then sets. */
export function setOption(kind: string, options: readonly SocketOption[], ready: () => void, level: number, optname: number, value: number | boolean): void {
  validateOption(level, optname);
  const flag = flagValue(value);
  ready();
  optionOf(kind, options, level, optname).set(flag);
}

/** `getsockopt` over a socket's `options`. */
export function getOption(kind: string, options: readonly SocketOption[], ready: () => void, level: number, optname: number): 0 | 1 {
  validateOption(level, optname);
  ready();
  return optionOf(kind, options, level, optname).get();
}

function optionOf(kind: string, options: readonly SocketOption[], level: number, optname: number): SocketOption {
  const option = options.find((o) => o.level === level && o.optname === optname);
  if (option === undefined) throw unknownOption(kind, level, optname);
  return option;
}
