import { invalidArgType, outOfRange } from '../internal/validate.js';
import { AF_INET6 } from './constants.js';

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
