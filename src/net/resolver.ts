import dns from 'node:dns';
import { hostname as osHostname } from 'node:os';
import { canonicalAddress, familyOf as addressFamily, hostsInet4, inetAton, ipFamily } from '../resolver/addresses.js';
import { lookupAddresses, lookupEngine } from '../resolver/lookup.js';
import { CANONNAME_HINT, EAI as UV_EAI } from '../resolver/cares.js';
import { getOriginal } from '../internal/registry.js';
import { HOSTS_PATH, hostsFile, type HostsTable } from '../resolver/hosts.js';
import { GreenletExit } from '../runtime/errors.js';
import { bound } from '../runtime/abortable.js';
import { currentScope, outsideScope, waitScope, type Scope } from '../runtime/scope.js';
import { Timeout } from '../runtime/timeout.js';
import { invalidArgType, outOfRange } from '../internal/validate.js';
import { interfaceName, sockaddr, validatePort, validateSockaddr, type Address } from './address.js';
import {
  AF_INET, AF_INET6, AF_UNSPEC, AI_ADDRCONFIG, AI_ALL, AI_CANONNAME, AI_NUMERICHOST, AI_NUMERICSERV, AI_PASSIVE,
  AI_V4MAPPED, IPPROTO_TCP, IPPROTO_UDP, NI_DGRAM, NI_NAMEREQD, NI_NOFQDN, NI_NUMERICHOST, NI_NUMERICSERV,
  SOCK_DGRAM, SOCK_RAW, SOCK_STREAM,
} from './constants.js';
import {
  EAI_ADDRFAMILY, EAI_AGAIN, EAI_FAIL, EAI_FAMILY, EAI_NODATA, EAI_NONAME, EAI_SERVICE, EAI_SOCKTYPE, EAI_SYSTEM,
  HOST_NOT_FOUND, NO_RECOVERY, TRY_AGAIN, gaierror, herror,
} from './errors.js';
import { findService, getservbyport, type ServicesOptions } from './services.js';

/** The resolvers, as gevent's: `cares` (the patched, cancellable path) or `getaddrinfo` (the original). */
export type ResolverName = 'cares' | 'getaddrinfo';

/** Options common to the resolution functions. */
export interface ResolveOptions extends ServicesOptions {
  /** Which resolver answers names the hosts file does not have. @default getResolver() */
  resolver?: ResolverName;
  /** The hosts file read first (names, aliases, reverse entries). @default '/etc/hosts' (see `setHostsFile`) */
  hostsFile?: string;
}

/** The address-info tuple of `getaddrinfo`: `[family, type, proto, canonname, [address, port]]`. */
export type AddrInfo = [family: number, type: number, proto: number, canonname: string, sockaddr: Address];

/** Options of `getaddrinfo`, Python's keyword arguments. */
export interface GetAddrInfoOptions extends ResolveOptions {
  /** `AF_INET`, `AF_INET6` or `AF_UNSPEC`. @default AF_UNSPEC */
  family?: number;
  /** `SOCK_STREAM`, `SOCK_DGRAM`, `SOCK_RAW` or 0 for all. @default 0 */
  type?: number;
  /** `IPPROTO_TCP`, `IPPROTO_UDP` or 0. @default 0 */
  proto?: number;
  /** `AI_*` flags, or-ed. @default 0 */
  flags?: number;
}

let globalResolver: ResolverName = 'cares';
let globalHostsFile: string | null = null;

/**
 * Chooses the resolver used when a call does not name one: `'cares'` (default: the DNS patch's
 * lookup, faithful to getaddrinfo and cancellable) or `'getaddrinfo'` (Node's original
 * `dns.lookup`, on libuv's thread pool: a killed greenlet stops waiting but the thread runs on).
 *
 * @example
 * ```ts runnable
 * import { setResolver } from 'nodevent/net';
 * setResolver('getaddrinfo');
 * ```
 */
export function setResolver(name: ResolverName): void {
  globalResolver = validateResolver(name, 'name');
}

/**
 * The resolver used by default.
 *
 * @example
 * ```ts runnable
 * import { getResolver, setResolver } from 'nodevent/net';
 * if (getResolver() === 'cares') setResolver('getaddrinfo');
 * ```
 */
export function getResolver(): ResolverName {
  return globalResolver;
}

/**
 * Sets the hosts file read before the resolver (`null` puts back `/etc/hosts`). Useful for tests
 * and sandboxes that cannot edit /etc/hosts.
 *
 * @example
 * ```ts
 * import { gethostbyname, setHostsFile } from 'nodevent/net';
 * setHostsFile('/tmp/test-hosts'); // e.g. "127.0.0.1 db.test"
 * await gethostbyname('db.test'); // '127.0.0.1'
 * setHostsFile(null);
 * ```
 */
export function setHostsFile(path: string | null): void {
  if (path !== null && typeof path !== 'string') throw invalidArgType('path', 'of type string or null', path);
  globalHostsFile = path;
}

function validateResolver(value: unknown, name: string): ResolverName {
  if (value !== 'cares' && value !== 'getaddrinfo') throw invalidArgType(name, "'cares' or 'getaddrinfo'", value);
  return value;
}

function checkOptions(options: unknown): asserts options is ResolveOptions {
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'an object', options);
  const { resolver, hostsFile } = options as ResolveOptions;
  if (resolver !== undefined) validateResolver(resolver, 'options.resolver');
  if (hostsFile !== undefined && typeof hostsFile !== 'string') throw invalidArgType('options.hostsFile', 'of type string', hostsFile);
}

function validateHost(host: unknown, name = 'host'): string {
  if (typeof host !== 'string') throw invalidArgType(name, 'of type string', host);
  return host;
}

// ---------------------------------------------------------------------------------------------
// The hosts file: the DNS patch's, whose lines keep the official name and aliases that
// gethostbyname_ex and gethostbyaddr report.

/** The hosts table's key for `host`: lower case (a trailing dot stays). */
function hostsKey(host: string): string {
  // As glibc's files source: `localhost.` is not `localhost` (it goes to DNS).
  return host.toLowerCase();
}

/** The hosts file in effect: `options.hostsFile`, else `setHostsFile`'s, else /etc/hosts. */
function hostsPath(options: ResolveOptions): string {
  return options.hostsFile ?? globalHostsFile ?? HOSTS_PATH;
}

function hostsTable(options: ResolveOptions): HostsTable {
  return hostsFile(hostsPath(options)).table;
}

// ---------------------------------------------------------------------------------------------
// The resolvers.

type LookupAll = (hostname: string, options: dns.LookupAllOptions) => Promise<dns.LookupAddress[]>;

// Taken at load: if the DNS patch replaces dns.promises.lookup later, the registry still has it.
const loadedLookup = dns.promises.lookup as unknown as LookupAll;

function originalLookup(): LookupAll {
  return (getOriginal('dns', 'promises.lookup') as LookupAll | undefined) ?? loadedLookup;
}

/** Waits for `promise` in the current scope: a kill or a timeout stops the wait at once. */
function cancellable<T>(promise: Promise<T>): Promise<T> {
  return bound(promise, waitScope());
}

/** A kill or timeout of `scope` (the caller's), passed on as it is. */
function isAbort(error: unknown, scope: Scope | undefined): boolean {
  return error instanceof GreenletExit || error instanceof Timeout || (scope !== undefined && error === scope.reason);
}

function toGaierror(error: unknown, host: string, scope: Scope | undefined): unknown {
  if (isAbort(error, scope) || error instanceof gaierror) return error;
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const errno =
    code === 'ENOTFOUND' ? ((error as NodeJS.ErrnoException).errno === UV_EAI.NODATA ? EAI_NODATA : EAI_NONAME)
    : code === 'EAI_NONAME' ? EAI_NONAME
    : code === 'EAI_AGAIN' || code === 'ETIMEOUT' || code === 'ECONNREFUSED' ? EAI_AGAIN
    : code === 'ENODATA' || code === 'EAI_NODATA' ? EAI_NODATA
    : code === 'ESERVFAIL' || code === 'EREFUSED' || code === 'EAI_FAIL' ? EAI_FAIL
    : code === 'EBADFAMILY' || code === 'EAI_FAMILY' ? EAI_FAMILY
    : EAI_SYSTEM;
  return new gaierror(errno, host, undefined, { cause: error });
}

interface Resolved {
  canonname: string;
  addresses: Array<{ address: string; family: 4 | 6 }>;
}

/**
 * `host` as an address literal, as getaddrinfo reads it (inet_pton, then inet_aton's short forms
 * such as `127.1`): its address for `family`, undefined when it is not a literal. Throws the
 * gaierror of a literal that does not fit the family.
 */
function literalHost(host: string, family: 0 | 4 | 6, flags: number): Resolved | undefined {
  let literal = ipFamily(host);
  let address = host;
  if (literal === 6) {
    // As inet_ntop writes it back (`0:0::1` is `::1`); a scope (`fe80::1%eth0`) stays on the text.
    if (!host.includes('%')) address = canonicalAddress(host);
  } else if (literal === 0) {
    const short = inetAton(host);
    if (short === undefined) return undefined;
    literal = 4;
    address = short;
  }
  if (family === 0 || family === literal) return { canonname: host, addresses: [{ address, family: literal }] };
  if (family === 6 && (flags & AI_V4MAPPED) !== 0) return { canonname: host, addresses: [{ address: `::ffff:${address}`, family: 6 }] };
  // glibc: a v4-mapped IPv6 literal asked for IPv4 is its IPv4 address.
  if (family === 4 && address.startsWith('::ffff:') && address.includes('.')) return { canonname: host, addresses: [{ address: address.slice(7), family: 4 }] };
  // glibc: EAI_ADDRFAMILY, which Python's gethostbyname reports for '::1'.
  throw new gaierror(EAI_ADDRFAMILY, host, `: '${host}' is not an IPv${family} address`);
}

/** The hosts file the caller named (`options.hostsFile`, `setHostsFile`), or undefined for /etc/hosts. */
function namedHostsFile(options: ResolveOptions): string | undefined {
  const path = hostsPath(options);
  return path === HOSTS_PATH ? undefined : path;
}

/**
 * What `host` is without asking a resolver: an IP literal, or, for the `getaddrinfo` resolver
 * with a hosts file of the caller's (glibc reads only /etc/hosts), a name that file has for
 * `family`; undefined when the resolver must answer. The `cares` resolver reads the hosts file
 * itself, in nsswitch.conf's order, as getaddrinfo does. Throws the gaierror of a literal that does
 * not fit.
 */
function knownHost(host: string, family: 0 | 4 | 6, flags: number, options: ResolveOptions, which: ResolverName): Resolved | undefined {
  const literal = literalHost(host, family, flags);
  if (literal !== undefined) return literal;
  if ((flags & AI_NUMERICHOST) !== 0) throw new gaierror(EAI_NONAME, host, `: '${host}' is not a numeric address (AI_NUMERICHOST)`);
  if (host === '') throw new gaierror(EAI_NONAME, host);
  if (which === 'cares' || namedHostsFile(options) === undefined) return undefined;
  const lines = hostsTable(options).lines.get(hostsKey(host));
  if (lines === undefined) return undefined;
  const addresses: Resolved['addresses'] = [];
  for (const line of lines) {
    // As glibc's files source: every line counts (an address twice if two lines give it), and for
    // IPv4 the IPv6 loopback is 127.0.0.1 and a v4-mapped address its IPv4 one.
    if (family === 4) {
      const address = hostsInet4(line.address);
      if (address !== undefined) addresses.push({ address, family: 4 });
      continue;
    }
    const f = addressFamily(line.address);
    if (family === 0 || family === f) addresses.push({ address: line.address, family: f });
  }
  return addresses.length > 0 ? { canonname: lines[0]!.official, addresses } : undefined;
}

/** The resolver a call uses: its `options.resolver`, else the global one. */
function resolverOf(options: ResolveOptions): ResolverName {
  return options.resolver === undefined ? globalResolver : validateResolver(options.resolver, 'options.resolver');
}

/**
 * Asks the resolver for `host` (not a literal) and settles with `shape(addresses, canonname)`, or
 * rejects with a gaierror (or the scope's reason: a kill or a timeout ends the wait at once).
 * `canonname` is the name that had the addresses (a search domain's, a hosts-file line's official
 * name), else `host`. One promise, no async layers: a fan-out has thousands of these in flight.
 */
function askResolver<T>(host: string, family: 0 | 4 | 6, flags: number, options: ResolveOptions, which: ResolverName, shape: (found: string[], canonname: string) => T): Promise<T> {
  let hints = 0;
  if ((flags & AI_ADDRCONFIG) !== 0) hints |= dns.ADDRCONFIG;
  if ((flags & AI_V4MAPPED) !== 0) hints |= dns.V4MAPPED;
  if ((flags & AI_ALL) !== 0) hints |= dns.ALL;
  const scope = waitScope();
  if (which === 'cares') {
    const engineHints = (flags & AI_CANONNAME) !== 0 ? hints | CANONNAME_HINT : hints;
    return new Promise((resolve, reject) => {
      lookupAddresses(host, family, engineHints, scope, (err, found, canonname) => {
        if (err !== null) reject(toGaierror(err, host, scope));
        else if (found!.length === 0) reject(new gaierror(EAI_NODATA, host));
        else resolve(shape(found!, canonname ?? host));
      }, namedHostsFile(options));
    });
  }
  return bound(originalLookup()(host, { all: true, family, hints }), scope).then((found) => {
    if (found.length === 0) throw new gaierror(EAI_NODATA, host);
    return shape(found.map((a) => a.address), host);
  }, (error: unknown) => {
    throw toGaierror(error, host, scope);
  });
}

/** Addresses of `host` for `family` (0, 4 or 6): an IP literal, else the resolver's. */
function resolveHost(host: string, family: 0 | 4 | 6, flags: number, options: ResolveOptions): Promise<Resolved> {
  const which = resolverOf(options);
  let known: Resolved | undefined;
  try {
    known = knownHost(host, family, flags, options, which);
  } catch (error) {
    return Promise.reject(error);
  }
  if (known !== undefined) return Promise.resolve(known);
  return askResolver(host, family, flags, options, which, (found, canonname) => ({
    // getaddrinfo's canonical name has no trailing dot.
    canonname: canonname.length > 1 && canonname.endsWith('.') ? canonname.slice(0, -1) : canonname,
    addresses: found.map((address) => ({ address, family: family || addressFamily(address) })),
  }));
}

const firstAddress = (found: string[]): string => found[0]!;

/** The longest CNAME chain followed (a loop ends it sooner). */
const MAX_CNAMES = 16;

/**
 * The names `name` is an alias of in DNS, in order (its CNAME's target, that one's, ...), empty
 * when it is none: glibc's canonical name is the last, and gethostbyname's aliases the others.
 * Node's c-ares lookups do not report the chain, so it is asked for, only by the calls that need
 * it (`AI_CANONNAME`, `gethostbyname_ex`) and with the `cares` resolver. A kill or a timeout of the
 * caller cancels it.
 */
async function cnameChain(name: string, options: ResolveOptions): Promise<string[]> {
  if (resolverOf(options) !== 'cares' || hostsTable(options).lines.has(hostsKey(name))) return [];
  const resolver = serversResolver();
  const scope = waitScope();
  const chain: string[] = [];
  for (let current = name; chain.length < MAX_CNAMES;) {
    let targets: string[];
    try {
      targets = await bound(resolver.resolveCname(current), scope, () => resolver.cancel());
    } catch (error) {
      if (isAbort(error, scope)) throw error;
      break; // no CNAME (NODATA), or no answer: the chain ends here
    }
    const next = targets[0];
    if (next === undefined || next === name || chain.includes(next)) break;
    chain.push((current = next));
  }
  return chain;
}

function familyOf(af: number): 0 | 4 | 6 {
  if (af === AF_INET) return 4;
  if (af === AF_INET6) return 6;
  return 0;
}

/**
 * The IPv4 address of `host`, Python's `socket.gethostbyname`: an IP literal as is, else the first
 * address of getaddrinfo for IPv4 (the hosts file and DNS, in nsswitch.conf's order, with the
 * `cares` resolver). Rejects with a `gaierror` carrying the host.
 *
 * @example
 * ```ts
 * import { joinAll, spawn } from 'nodevent';
 * import { gethostbyname } from 'nodevent/net';
 * const hosts = ['localhost', 'ip6-localhost'];
 * const jobs = hosts.map((h) => spawn(gethostbyname, h));
 * await joinAll(jobs, { timeout: 5 });
 * ```
 */
export function gethostbyname(host: string, options: ResolveOptions = {}): Promise<string> {
  // Not an async function: its suspended frame and the one of each layer below it stayed alive
  // for the whole round trip, three times the memory of the lookup itself in a fan-out.
  try {
    checkOptions(options);
    validateHost(host);
    if (host === '') return Promise.resolve('0.0.0.0');
    if (host === '<broadcast>') return Promise.resolve('255.255.255.255');
    const which = resolverOf(options);
    const known = knownHost(host, 4, 0, options, which);
    if (known !== undefined) return Promise.resolve(known.addresses[0]!.address);
    return askResolver(host, 4, 0, options, which, firstAddress);
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * `[hostname, aliases, addresses]` of `host` (IPv4), Python's `socket.gethostbyname_ex`. For a
 * hosts-file name, as glibc's files source gives it: `hostname` is the official name of the first
 * line naming it, `aliases` every other name on those lines, `addresses` one per line (the IPv6
 * loopback as 127.0.0.1). For a DNS name, `hostname` is its canonical name (the end of its CNAME
 * chain, which is asked for since Node's lookups do not report it) and `aliases` the names before
 * it, starting with the name that answered (with its search domain). Keeps Python's name with the
 * underscore.
 *
 * @example
 * ```ts
 * import { gethostbyname_ex } from 'nodevent/net';
 * const [hostname, aliases, addresses] = await gethostbyname_ex('localhost');
 * ```
 */
export async function gethostbyname_ex(host: string, options: ResolveOptions = {}): Promise<[hostname: string, aliases: string[], addresses: string[]]> {
  checkOptions(options);
  validateHost(host);
  if (ipFamily(host) === 4) return [host, [], [host]];
  // Python asks getaddrinfo first (its errors are gaierrors), then gethostbyname_r for the names,
  // which takes no IPv6 literal and of inet_aton's forms only digits and dots; '' is the wildcard
  // to the first and nothing to the second (nss_dns's NO_RECOVERY, else HOST_NOT_FOUND).
  if (host === '') throw new herror(lookupEngine().sources().includes('dns') ? NO_RECOVERY : HOST_NOT_FOUND, host);
  const { canonname, addresses } = await resolveHost(host, 4, 0, options);
  if (ipFamily(host) === 6 || (inetAton(host) !== undefined && !/^[0-9.]+$/.test(host))) throw new herror(HOST_NOT_FOUND, host);
  const inet = hostsTable(options).lines.get(hostsKey(host))?.filter((l) => hostsInet4(l.address) !== undefined) ?? [];
  const inetAddresses = inet.map((l) => hostsInet4(l.address)!);
  // The hosts file's lines, when they gave the answer (with `hosts: dns files`, DNS may have).
  if (inet.length === 0 || addresses.some((a) => !inetAddresses.includes(a.address))) {
    const chain = await cnameChain(canonname, options);
    return [chain.at(-1) ?? canonname, chain.length > 0 ? [canonname, ...chain.slice(0, -1)] : [], addresses.map((a) => a.address)];
  }
  const official = inet[0]!.official;
  const aliases: string[] = [];
  for (const line of inet) {
    for (const name of [line.official, ...line.aliases]) if (name !== official && !aliases.includes(name)) aliases.push(name);
  }
  return [official, aliases, inetAddresses];
}

/**
 * Python's `socket.getaddrinfo`: every `[family, type, proto, canonname, [address, port]]` for
 * `host` (null: loopback, or the wildcard with `AI_PASSIVE`) and `port` (a number, a numeric
 * string, a service name such as `'http'`, or null). `canonname` is filled on the first entry
 * only, with `AI_CANONNAME`.
 *
 * @example
 * ```ts runnable
 * import { SOCK_STREAM, getaddrinfo } from 'nodevent/net';
 * for (const [family, type, proto, canonname, [address, port]] of await getaddrinfo('localhost', 'http', { type: SOCK_STREAM })) {
 *   console.log(address, port); // 127.0.0.1 80
 * }
 * ```
 */
export async function getaddrinfo(host: string | null, port: number | string | null, options: GetAddrInfoOptions = {}): Promise<AddrInfo[]> {
  checkOptions(options);
  if (host !== null && host !== undefined) validateHost(host);
  const { family = AF_UNSPEC, type = 0, proto = 0, flags = 0 } = options;
  for (const [name, value] of [['options.family', family], ['options.type', type], ['options.proto', proto], ['options.flags', flags]] as const) {
    if (!Number.isInteger(value)) throw invalidArgType(name, 'an integer', value);
  }
  if (family !== AF_UNSPEC && family !== AF_INET && family !== AF_INET6) throw new gaierror(EAI_FAMILY, host ?? null, `: family ${family}`);
  // AI_ADDRCONFIG, first of all as glibc applies it (to literals and a null host too): a family
  // the host has no address of (loopback aside) is EAI_NONAME; with only one, AF_UNSPEC means it.
  let want = familyOf(family);
  if ((flags & AI_ADDRCONFIG) !== 0) {
    const configured = lookupEngine().addrconfigFamily(want);
    if (configured === undefined) throw new gaierror(EAI_NONAME, host ?? null);
    want = configured;
  }
  if (type !== 0 && type !== SOCK_STREAM && type !== SOCK_DGRAM && type !== SOCK_RAW) throw new gaierror(EAI_SOCKTYPE, host ?? null, `: type ${type}`);

  // The socket types to list, each with its protocol and port.
  let types = type !== 0 ? [type] : [SOCK_STREAM, SOCK_DGRAM, SOCK_RAW];
  if (proto === IPPROTO_TCP) types = types.filter((t) => t === SOCK_STREAM);
  else if (proto === IPPROTO_UDP) types = types.filter((t) => t === SOCK_DGRAM);
  if (types.length === 0) throw new gaierror(EAI_SOCKTYPE, host ?? null, `: proto ${proto} with type ${type}`);
  const protoOf = (t: number): number => (proto !== 0 ? proto : t === SOCK_STREAM ? IPPROTO_TCP : t === SOCK_DGRAM ? IPPROTO_UDP : 0);
  const ports = new Map<number, number>();
  if (port === null || port === undefined) {
    for (const t of types) ports.set(t, 0);
  } else if (typeof port === 'number') {
    validatePort(port);
    for (const t of types) ports.set(t, port);
  } else if (typeof port === 'string') {
    if (/^\d+$/.test(port)) {
      const n = validatePort(Number(port));
      for (const t of types) ports.set(t, n);
    } else {
      if ((flags & AI_NUMERICSERV) !== 0) throw new gaierror(EAI_NONAME, host ?? null, `: port '${port}' is not numeric (AI_NUMERICSERV)`);
      for (const t of types) {
        if (t === SOCK_RAW) continue; // a service name has no meaning for raw sockets
        const entry = await findService(port, t === SOCK_STREAM ? 'tcp' : 'udp', options);
        if (entry !== undefined) ports.set(t, entry.port);
      }
      if (ports.size === 0) throw new gaierror(EAI_SERVICE, host ?? null, `: unknown service '${port}' given as the port argument`);
    }
  } else {
    throw invalidArgType('port', 'a number, a string or null', port);
  }

  let resolved: Resolved;
  if (host === null || host === undefined) {
    const passive = (flags & AI_PASSIVE) !== 0;
    const all: Resolved['addresses'] = [
      { address: passive ? '::' : '::1', family: 6 },
      { address: passive ? '0.0.0.0' : '127.0.0.1', family: 4 },
    ];
    resolved = { canonname: '', addresses: all.filter((a) => want === 0 || a.family === want) };
  } else {
    resolved = await resolveHost(host, want, flags, options);
    if ((flags & AI_CANONNAME) !== 0 && ipFamily(host) === 0 && inetAton(host) === undefined) {
      const chain = await cnameChain(resolved.canonname, options);
      if (chain.length > 0) resolved = { ...resolved, canonname: chain.at(-1)! };
    }
  }
  const entries: AddrInfo[] = [];
  for (const { address, family: f } of resolved.addresses) {
    for (const [t, p] of ports) {
      const canonname = entries.length === 0 && (flags & AI_CANONNAME) !== 0 ? resolved.canonname : '';
      entries.push([f === 6 ? AF_INET6 : AF_INET, t, protoOf(t), canonname, sockaddr(address, p)]);
    }
  }
  return entries;
}

/** A c-ares channel of its own on `dns.getServers()` (a new Resolver starts from resolv.conf, not dns.setServers). */
function serversResolver(): dns.promises.Resolver {
  const resolver = new dns.promises.Resolver();
  resolver.setServers(dns.getServers());
  return resolver;
}

async function reverse(ip: string, options: ResolveOptions): Promise<string[]> {
  if (resolverOf(options) === 'getaddrinfo') {
    const lookupService = (getOriginal('dns', 'promises.lookupService') as typeof dns.promises.lookupService | undefined) ?? dns.promises.lookupService;
    const { hostname } = await cancellable(lookupService(ip, 0));
    if (hostname === ip || ipFamily(hostname) !== 0) throw Object.assign(new Error('no name'), { code: 'ENOTFOUND' });
    return [hostname];
  }
  const resolver = serversResolver();
  return await bound(resolver.reverse(ip), waitScope(), () => resolver.cancel());
}

/**
 * `[hostname, aliases, addresses]` for an address (a name is resolved first), Python's
 * `socket.gethostbyaddr`: the hosts file, then a reverse lookup. Rejects with `herror` when the
 * address has no name.
 *
 * @example
 * ```ts
 * import { gethostbyaddr } from 'nodevent/net';
 * const [name] = await gethostbyaddr('127.0.0.1'); // 'localhost'
 * ```
 */
export async function gethostbyaddr(ip: string, options: ResolveOptions = {}): Promise<[hostname: string, aliases: string[], addresses: string[]]> {
  checkOptions(options);
  validateHost(ip, 'ip');
  const address = ipFamily(ip) !== 0 ? ip : (await resolveHost(ip, 0, 0, options)).addresses[0]!.address;
  const line = hostsTable(options).byAddress.get(address);
  if (line !== undefined) return [line.official, [...line.aliases], [address]];
  let names: string[];
  try {
    names = await reverse(address, options);
  } catch (error) {
    if (isAbort(error, currentScope())) throw error;
    const code = (error as NodeJS.ErrnoException | null)?.code;
    const errno = code === 'ETIMEOUT' || code === 'EAI_AGAIN' ? TRY_AGAIN : code === 'ESERVFAIL' ? NO_RECOVERY : HOST_NOT_FOUND;
    throw new herror(errno, ip, { cause: error });
  }
  if (names.length === 0) throw new herror(HOST_NOT_FOUND, ip);
  return [names[0]!, names.slice(1), [address]];
}

const localDomains = new Map<string, Promise<string | null>>();

/**
 * The local domain as glibc's getnameinfo finds it, once per hosts file: the part after the first
 * dot of `localhost`'s official name, else of this host's name, else of that name's official name,
 * else of the name of 127.0.0.1; null when none has a dot. Worked out outside every greenlet, since
 * every caller shares it: a caller killed meanwhile stops waiting, the others get the answer.
 */
function localDomain(options: ResolveOptions): Promise<string | null> {
  const key = hostsPath(options);
  let found = localDomains.get(key);
  if (found === undefined) {
    const after = (name: string | undefined): string | null => (name !== undefined && name.includes('.') ? name.slice(name.indexOf('.') + 1) : null);
    const attempt = async <T>(get: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await get();
      } catch {
        return undefined;
      }
    };
    found = outsideScope(async () => {
      const own = gethostname();
      return after((await attempt(() => gethostbyname_ex('localhost', options)))?.[0])
        ?? after(own)
        ?? after((await attempt(() => gethostbyname_ex(own, options)))?.[0])
        ?? after((await attempt(() => gethostbyaddr('127.0.0.1', options)))?.[0]);
    });
    localDomains.set(key, found);
  }
  return cancellable(found);
}

/** glibc's NI_NOFQDN cut: `name` up to the dot before the first place `domain` appears in it. */
function withoutLocalDomain(name: string, domain: string | null): string {
  if (domain === null || domain === '') return name;
  const at = name.indexOf(domain);
  return at > 0 && name[at - 1] === '.' ? name.slice(0, at - 1) : name;
}

/**
 * `[host, service]` for a numeric `[address, port]` (IPv6: also `[address, port, flowinfo,
 * scopeId]`, whose scope a numeric host keeps as `%lo` or `%3`, as glibc writes it), Python's
 * `socket.getnameinfo`. `NI_NUMERICHOST` and `NI_NUMERICSERV` keep numbers, `NI_NAMEREQD` rejects when the address has no name,
 * `NI_NOFQDN` cuts a name of the local domain to its first labels (as glibc: the domain of
 * `localhost`'s official name, else of this host's name), `NI_DGRAM` names UDP services.
 *
 * @example
 * ```ts
 * import { getnameinfo } from 'nodevent/net';
 * await getnameinfo(['127.0.0.1', 80], 0); // ['localhost', 'http']
 * ```
 */
export async function getnameinfo(sockaddr: Address, flags = 0, options: ResolveOptions = {}): Promise<[host: string, service: string]> {
  // [host, port], or for IPv6 with flowinfo and a scope id, checked as a socket's address is.
  const [ip, port, , scopeId] = validateSockaddr(sockaddr, 'sockaddr');
  checkOptions(options);
  validateHost(ip, 'sockaddr[0]');
  // Python: "IPv4 sockaddr must be 2 tuple".
  if ((sockaddr as unknown[]).length > 2 && ipFamily(ip) === 4) throw invalidArgType('sockaddr', 'a [host, port] pair for an IPv4 address', sockaddr);
  if (!Number.isInteger(flags) || flags < 0) throw outOfRange('flags', 'a non-negative integer of NI_* flags', flags);
  if (ipFamily(ip) === 0) throw new gaierror(EAI_NONAME, ip, `: '${ip}' is not a numeric address`);
  let host: string | undefined;
  if ((flags & NI_NUMERICHOST) === 0) {
    try {
      host = (await gethostbyaddr(ip, options))[0];
      if ((flags & NI_NOFQDN) !== 0) host = withoutLocalDomain(host, await localDomain(options));
    } catch (error) {
      if (!(error instanceof herror)) throw error;
      if ((flags & NI_NAMEREQD) !== 0) throw new gaierror(EAI_NONAME, ip, undefined, { cause: error });
    }
  }
  host ??= scopeId === 0 || ip.includes('%') ? ip : `${ip}%${scopeText(ip, scopeId)}`;
  let service = String(port);
  if ((flags & NI_NUMERICSERV) === 0) {
    try {
      service = await getservbyport(port, (flags & NI_DGRAM) !== 0 ? 'udp' : 'tcp', options);
    } catch {
      // no name for it: the number, as getnameinfo does
    }
  }
  return [host, service];
}

/**
 * How glibc's getnameinfo writes the scope of a numeric IPv6 address: the interface's name for a
 * link-local one (unicast fe80::/10, or multicast of link scope), else the index.
 */
function scopeText(ip: string, scopeId: number): string {
  const head = Number.parseInt(ip.slice(0, ip.indexOf(':')) || '0', 16);
  const linkLocal = (head & 0xffc0) === 0xfe80 || (head & 0xff0f) === 0xff02;
  return (linkLocal ? interfaceName(scopeId) : undefined) ?? String(scopeId);
}

/**
 * The host name of the machine, Python's `socket.gethostname` (synchronous: no I/O).
 *
 * @example
 * ```ts runnable
 * import { gethostname } from 'nodevent/net';
 * console.log(gethostname()); // same as os.hostname()
 * ```
 */
export function gethostname(): string {
  return osHostname();
}

/**
 * A fully qualified name for `name` (default: this host), Python's `socket.getfqdn`: the first of
 * the reverse lookup's name and aliases that contains a dot, else that name; `name` itself when
 * the lookup fails.
 *
 * @example
 * ```ts
 * import { getfqdn } from 'nodevent/net';
 * console.log(await getfqdn());
 * ```
 */
export async function getfqdn(name = '', options: ResolveOptions = {}): Promise<string> {
  checkOptions(options);
  validateHost(name, 'name');
  name = name.trim();
  if (name === '' || name === '0.0.0.0' || name === '::') name = gethostname();
  let found: [string, string[], string[]];
  try {
    found = await gethostbyaddr(name, options);
  } catch (error) {
    if (isAbort(error, currentScope())) throw error;
    return name;
  }
  const [hostname, aliases] = found;
  return [hostname, ...aliases].find((n) => n.includes('.')) ?? hostname;
}
