import { readdirSync, readFileSync } from 'node:fs';
import { invalidArgType, outOfRange } from '../internal/validate.js';
import { ipFamily } from '../resolver/addresses.js';
import { AF_INET, AF_INET6 } from './constants.js';

/**
 * A socket address as Python writes it: `[host, port]` for IPv4, `[host, port, flowinfo,
 * scopeId]` for IPv6 (what the module returns; it takes `[host, port]` and `[host, port,
 * flowinfo]` for IPv6 too, the rest 0). `scopeId` is the interface index of a scoped address:
 * `fe80::1%eth0` is `['fe80::1', port, 0, 2]` when eth0 is interface 2. `flowinfo` is always 0:
 * Node sockets neither report nor set a flow label, and refuse another one.
 */
export type Address =
  | [host: string, port: number]
  | [host: string, port: number, flowinfo: number]
  | [host: string, port: number, flowinfo: number, scopeId: number];

/** The largest flow label (20 bits), as Python checks `flowinfo`. */
const MAX_FLOWINFO = 0xfffff;

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

/**
 * Checks an address given for `family` (any family when undefined): `[host, port]`, or for IPv6
 * also `[host, port, flowinfo]` and `[host, port, flowinfo, scopeId]`. Returns all four (0 where
 * not given).
 */
export function validateSockaddr(value: unknown, name = 'address', family?: number): [host: string, port: number, flowinfo: number, scopeId: number] {
  if (!Array.isArray(value) || value.length < 2 || value.length > 4) {
    throw invalidArgType(name, family === AF_INET ? 'a [host, port] array' : 'a [host, port] array, or [host, port, flowinfo, scopeId] for IPv6', value);
  }
  const [host, port, flowinfo = 0, scopeId = 0] = value as unknown[];
  if (typeof host !== 'string') throw invalidArgType(`${name}[0]`, 'of type string (the host)', host);
  const checkedPort = validatePort(port, `${name}[1]`);
  if (value.length === 2) return [host, checkedPort, 0, 0];
  // Python: "AF_INET address must be a pair (host, port)".
  if (family === AF_INET) throw invalidArgType(name, 'a [host, port] pair for an AF_INET socket', value);
  if (typeof flowinfo !== 'number') throw invalidArgType(`${name}[2]`, 'of type number (the flow label)', flowinfo);
  if (!Number.isInteger(flowinfo) || flowinfo < 0 || flowinfo > MAX_FLOWINFO) throw outOfRange(`${name}[2]`, `>= 0 and <= ${MAX_FLOWINFO}`, flowinfo);
  if (typeof scopeId !== 'number') throw invalidArgType(`${name}[3]`, 'of type number (the interface index)', scopeId);
  if (!Number.isInteger(scopeId) || scopeId < 0 || scopeId > 0xffffffff) throw outOfRange(`${name}[3]`, '>= 0 and <= 4294967295', scopeId);
  return [host, checkedPort, flowinfo, scopeId];
}

/**
 * Checks an address given to a socket of `family` (see `validateSockaddr`). Returns the host to
 * resolve and the port: an IPv6 literal given a scope id gets it as a numeric `%zone`, which
 * getaddrinfo takes for any address (an interface's name only for a link-local one); `nodeHost`
 * turns the resolved scope id into the name Node needs. A flow label other than 0 is refused: Node
 * sockets cannot send one.
 */
export function validateAddress(value: unknown, name = 'address', family?: number): [host: string, port: number] {
  const [host, checkedPort, flowinfo, scopeId] = validateSockaddr(value, name, family);
  if (flowinfo !== 0) throw outOfRange(`${name}[2]`, '0 (Node sockets cannot set an IPv6 flow label)', flowinfo);
  if (scopeId === 0 || host.includes('%') || ipFamily(host) !== 6) return [host, checkedPort];
  if (interfaceName(scopeId) === undefined) throw outOfRange(`${name}[3]`, 'the index of one of this machine\'s network interfaces', scopeId);
  return [`${host}%${scopeId}`, checkedPort];
}

/**
 * The address `[host, port]` as Python's socket module gives it: as it is for IPv4; for IPv6 with
 * flowinfo (always 0: Node does not report it) and the scope id, the index of the interface its
 * `%zone` names, which then leaves the host (0 and no zone when unscoped). A zone naming no
 * interface stays in the host, with scope id 0.
 */
export function sockaddr(host: string, port: number): Address {
  if (!host.includes(':')) return [host, port];
  const at = host.indexOf('%');
  if (at === -1) return [host, port, 0, 0];
  const index = interfaceIndex(host.slice(at + 1));
  return index === 0 ? [host, port, 0, 0] : [host.slice(0, at), port, 0, index];
}

/**
 * The host Node is given for `address`: an IPv6 address with a scope id gets its interface as
 * `%zone` (Node takes the scope only in the text).
 */
export function nodeHost(address: Address): string {
  const [host, , , scopeId = 0] = address;
  if (scopeId === 0 || host.includes('%')) return host;
  const zone = interfaceName(scopeId);
  return zone === undefined ? host : `${host}%${zone}`;
}

/** Linux lists the network interfaces here, each with its index. */
const SYS_NET = '/sys/class/net';

/** The index of the interface a zone names (`eth0`, or its index as digits); 0 when unknown. */
function interfaceIndex(zone: string): number {
  if (/^\d+$/.test(zone)) return Number(zone);
  // An interface name, never a path.
  if (zone === '' || zone === '.' || zone === '..' || zone.includes('/')) return 0;
  try {
    return Number(readFileSync(`${SYS_NET}/${zone}/ifindex`, 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}

/**
 * The scope id glibc's getaddrinfo reads in the zone of an IPv6 literal (`fe80::1%eth0`), or
 * undefined when it refuses the zone (getaddrinfo's EAI_NONAME): an interface's name for a
 * link-local address (fe80::/10, and multicast of node or link scope), else digits only (any
 * address), up to 2^32 - 1. `address` is the literal without its zone.
 */
export function scopeIdOf(address: string, zone: string): number | undefined {
  const head = Number.parseInt(address.slice(0, address.indexOf(':')) || '0', 16);
  const linkLocal = (head & 0xffc0) === 0xfe80 || (head & 0xff0f) === 0xff01 || (head & 0xff0f) === 0xff02;
  if (linkLocal && !/^\d/.test(zone)) {
    const index = interfaceIndex(zone);
    if (index !== 0) return index;
  }
  if (!/^\d+$/.test(zone)) return undefined;
  const n = Number(zone);
  return n <= 0xffffffff ? n : undefined;
}

/** The name of the interface with index `index`, if this machine has one. */
export function interfaceName(index: number): string | undefined {
  let names: string[];
  try {
    names = readdirSync(SYS_NET);
  } catch {
    return undefined;
  }
  return names.find((name) => interfaceIndex(name) === index);
}
