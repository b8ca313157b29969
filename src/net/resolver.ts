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
import { interfaceName, scopeIdOf, sockaddr, validatePort, validateSockaddr, type Address } from './address.js';
import { sortAddresses } from '../resolver/sort.js';
import {
  AF_INET, AF_INET6, AF_UNSPEC, AI_ADDRCONFIG, AI_ALL, AI_CANONNAME, AI_NUMERICHOST, AI_NUMERICSERV, AI_PASSIVE,
  AI_V4MAPPED, IPPROTO_TCP, IPPROTO_UDP, NI_DGRAM, NI_NAMEREQD, NI_NOFQDN, NI_NUMERICHOST, NI_NUMERICSERV,
  SOCK_DGRAM, SOCK_RAW, SOCK_STREAM,
} from './constants.js';
import {
  EAI_ADDRFAMILY, EAI_AGAIN, EAI_BADFLAGS, EAI_FAIL, EAI_FAMILY, EAI_NODATA, EAI_NONAME, EAI_SERVICE, EAI_SOCKTYPE, EAI_SYSTEM,
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
  /** `SOCK_STREAM`, `SOCK_DGRAM`, `SOCK_RAW` (or another type glibc knows, such as 5, `SOCK_SEQPACKET`), or 0 for all. @default 0 */
  type?: number;
  /** `IPPROTO_TCP`, `IPPROTO_UDP` (or another protocol glibc knows, such as 132, SCTP), or 0. @default 0 */
  proto?: number;
  /** `AI_*` flags, or-ed; a bit glibc does not know is EAI_BADFLAGS. @default 0 */
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
  let zone = -1;
  let bare: string | undefined; // the address without its zone, as inet_ntop writes it
  if (literal === 6) {
    // As inet_ntop writes it back (`0:0::1` is `::1`); a scope (`fe80::1%eth0`) stays on the text.
    zone = host.indexOf('%');
    if (zone === -1) address = bare = canonicalAddress(host);
  } else if (literal === 0) {
    const short = inetAton(host);
    if (short === undefined) return undefined;
    literal = 4;
    address = short;
  }
  let found: Resolved;
  if (family === 0 || family === literal) found = { canonname: host, addresses: [{ address, family: literal }] };
  else if (family === 6 && (flags & AI_V4MAPPED) !== 0) found = { canonname: host, addresses: [{ address: `::ffff:${address}`, family: 6 }] };
  // glibc: a v4-mapped IPv6 literal asked for IPv4 is its IPv4 address.
  else if (family === 4 && isMapped((bare ??= canonicalAddress(host.slice(0, zone))))) found = { canonname: host, addresses: [{ address: bare.slice(7), family: 4 }] };
  // glibc: EAI_ADDRFAMILY, which Python's gethostbyname reports for '::1'.
  else throw new gaierror(EAI_ADDRFAMILY, host, `: '${host}' is not an IPv${family} address`);
  // glibc reads the zone once the family fits: an interface's name only for a link-local address,
  // else digits; any other zone is EAI_NONAME. Scope 0 is none.
  if (zone !== -1) {
    const scope = scopeIdOf(host.slice(0, zone), host.slice(zone + 1));
    if (scope === undefined) throw new gaierror(EAI_NONAME, host, `: '${host.slice(zone + 1)}' is no scope of '${host.slice(0, zone)}' (an interface's name for a link-local address, else a number)`);
    const entry = found.addresses[0]!;
    if (entry.family === 6) {
      bare ??= canonicalAddress(host.slice(0, zone));
      entry.address = scope === 0 ? bare : `${bare}${host.slice(zone)}`;
    }
  }
  return found;
}

/** Whether `address` (as inet_ntop writes it) is a v4-mapped IPv6 address. */
const isMapped = (address: string): boolean => address.startsWith('::ffff:') && address.includes('.');

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
function askResolver<T>(host: string, family: 0 | 4 | 6, flags: number, options: ResolveOptions, which: ResolverName, shape: (found: string[], canonname: string) => T, order?: 'answer'): Promise<T> {
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
      }, namedHostsFile(options), order);
    });
  }
  // Longer than a DNS question takes (253 characters, 254 with a trailing dot): glibc's EAI_NONAME,
  // where libuv refuses a name over 255 bytes with EINVAL before asking glibc. One comparison.
  if (host.length > 253 && (host.length > 254 || !host.endsWith('.'))) return Promise.reject(new gaierror(EAI_NONAME, host, `: '${host.slice(0, 20)}…' is longer than a DNS name can be`));
  return bound(originalLookup()(host, { all: true, family, hints }), scope).then((found) => {
    if (found.length === 0) throw new gaierror(EAI_NODATA, host);
    return shape(found.map((a) => a.address), host);
  }, (error: unknown) => {
    throw toGaierror(error, host, scope);
  });
}

/**
 * Addresses of `host` for `family` (0, 4 or 6): an IP literal, else the resolver's, in
 * getaddrinfo's order, or with `order: 'answer'` (the `cares` resolver) as its sources gave them.
 */
function resolveHost(host: string, family: 0 | 4 | 6, flags: number, options: ResolveOptions, order?: 'answer'): Promise<Resolved> {
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
  }), order);
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
 * it, starting with the name that answered (with its search domain), and `addresses` in the DNS
 * answer's order, as gethostbyname_r gives them (with the `getaddrinfo` resolver, getaddrinfo's
 * sorted order: Node's lookup reports no other). `'<broadcast>'` is Python's herror 0. Keeps
 * Python's name with the underscore.
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
  // '<broadcast>' is 255.255.255.255 to Python's first step, and no name to gethostbyname_r, which
  // fails without setting h_errno: Python's herror 0.
  if (host === '<broadcast>') throw new herror(0, host);
  // The addresses in the order of the answer (gethostbyname_r does not sort them as getaddrinfo does).
  const { canonname, addresses } = await resolveHost(host, 4, 0, options, 'answer');
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

/** The `AI_*` flags glibc takes (the IDN ones too, 0x40–0x200, which change nothing here); any other bit is EAI_BADFLAGS. */
const AI_KNOWN = AI_PASSIVE | AI_CANONNAME | AI_NUMERICHOST | AI_V4MAPPED | AI_ALL | AI_ADDRCONFIG | 0x40 | 0x80 | 0x100 | 0x200 | AI_NUMERICSERV;

/** Linux's `SOCK_SEQPACKET` and `SOCK_DCCP`, and the protocols of glibc's table below. */
const SOCK_SEQPACKET = 5, SOCK_DCCP = 6, IPPROTO_DCCP = 33, IPPROTO_SCTP = 132, IPPROTO_UDPLITE = 136;

/** One row of glibc's gaih_inet_typeproto: a socket type, its protocol, its name in /etc/services. */
interface TypeProto { type: number; proto: number; name: string; byDefault: boolean; anyProto: boolean; noService: boolean }
const row = (type: number, proto: number, name: string, byDefault = false, raw = false): TypeProto => ({ type, proto, name, byDefault, anyProto: raw, noService: raw });
/** glibc's table, in its order: `type: 0` lists the default rows, a given type or proto picks the first row that fits. */
const TYPE_PROTOS: readonly TypeProto[] = [
  row(SOCK_STREAM, IPPROTO_TCP, 'tcp', true),
  row(SOCK_DGRAM, IPPROTO_UDP, 'udp', true),
  row(SOCK_DCCP, IPPROTO_DCCP, 'dccp'),
  row(SOCK_DGRAM, IPPROTO_UDPLITE, 'udplite'),
  row(SOCK_STREAM, IPPROTO_SCTP, 'sctp'),
  row(SOCK_SEQPACKET, IPPROTO_SCTP, 'sctp'),
  row(SOCK_RAW, 0, 'raw', true, true),
];

/**
 * A service string as glibc's getaddrinfo reads it (strtoul, base 10): blanks, a sign and digits,
 * nothing after; undefined when it is a name. `-N` (N > 0) is negative, so a name to glibc too.
 */
function numericService(text: string): number | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)$/.exec(text);
  if (m === null) return undefined;
  const value = Number(m[2]);
  return m[1] === '-' && value !== 0 ? -1 : value;
}

/**
 * The `[type, proto, port]` of each entry, as glibc's gaih_inet works them out from the type, the
 * protocol and the service (null: none; a number; a name). Rejects with EAI_SOCKTYPE or EAI_SERVICE.
 */
async function serviceTuples(type: number, proto: number, service: number | string | null, host: string | null, options: ServicesOptions): Promise<Array<[type: number, proto: number, port: number]>> {
  let chosen: TypeProto | undefined;
  if (type !== 0 || proto !== 0) {
    chosen = TYPE_PROTOS.find((r) => (type === 0 || type === r.type) && (proto === 0 || r.anyProto || proto === r.proto));
    if (chosen === undefined) {
      throw type !== 0
        ? new gaierror(EAI_SOCKTYPE, host, `: type ${type}${proto !== 0 ? ` with proto ${proto}` : ''}`)
        : new gaierror(EAI_SERVICE, host, `: proto ${proto}`);
    }
  }
  const protoOf = (r: TypeProto): number => (r.anyProto ? proto : r.proto);
  if (service !== null && chosen?.noService === true) throw new gaierror(EAI_SERVICE, host, `: a port (${JSON.stringify(service)}) with SOCK_RAW`);
  if (typeof service !== 'string') {
    const port = service ?? 0;
    if (chosen !== undefined) return [[chosen.type, protoOf(chosen), port]];
    return TYPE_PROTOS.filter((r) => r.byDefault).map((r) => [r.type, r.proto, port]);
  }
  const unknown = (): gaierror => new gaierror(EAI_SERVICE, host, `: unknown service '${service}' given as the port argument`);
  if (chosen !== undefined) {
    const entry = await findService(service, chosen.name, options);
    if (entry === undefined) throw unknown();
    return [[chosen.type, protoOf(chosen), entry.port]];
  }
  const tuples: Array<[number, number, number]> = [];
  for (const r of TYPE_PROTOS) {
    if (r.noService) continue;
    const entry = await findService(service, r.name, options);
    if (entry !== undefined) tuples.push([r.type, r.proto, entry.port]);
  }
  if (tuples.length === 0) throw unknown();
  return tuples;
}

/**
 * Python's `socket.getaddrinfo`: every `[family, type, proto, canonname, [address, port]]` for
 * `host` and `port`, with glibc's answers and errors. `host` null (or `'*'`): loopback, or the
 * wildcard with `AI_PASSIVE`, in getaddrinfo's order (`::1` before `127.0.0.1`, `0.0.0.0` before
 * `::` on a usual host). `port`: a number, a numeric string as glibc reads it (`' 80'` and `'+80'`
 * are 80), a service name such as `'http'`, or null (`''` and `'*'` too: port 0); a host and a port
 * both null is EAI_NONAME. `type: 0` lists `SOCK_STREAM`, `SOCK_DGRAM` and `SOCK_RAW`; a given
 * type or `proto` picks glibc's one entry for it (`SOCK_RAW` takes no port: EAI_SERVICE). An
 * unknown `flags` bit, or `AI_CANONNAME` without a host, is EAI_BADFLAGS. `canonname` is filled on
 * the first entry only, with `AI_CANONNAME`.
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
    // Python passes each as a C int (OverflowError beyond).
    if (value < -0x80000000 || value > 0x7fffffff) throw outOfRange(name, 'a 32-bit signed integer', value);
  }
  if (port !== null && port !== undefined && typeof port !== 'number' && typeof port !== 'string') throw invalidArgType('port', 'a number, a string or null', port);
  if (typeof port === 'number') validatePort(port);
  // glibc: '*' is no host, or no service.
  const name = host === undefined || host === '*' ? null : host;
  const service = port === undefined || port === '*' || port === '' ? null : port;
  if (name === null && (port === null || port === undefined || port === '*')) throw new gaierror(EAI_NONAME, host ?? null, ': neither a host nor a port');
  if ((flags & ~AI_KNOWN) !== 0) throw new gaierror(EAI_BADFLAGS, host ?? null, `: flags ${flags}`);
  if ((flags & AI_CANONNAME) !== 0 && name === null) throw new gaierror(EAI_BADFLAGS, host ?? null, ': AI_CANONNAME without a host');
  if (family !== AF_UNSPEC && family !== AF_INET && family !== AF_INET6) throw new gaierror(EAI_FAMILY, host ?? null, `: family ${family}`);
  // AI_ADDRCONFIG, before the service and the host as glibc applies it (to literals and a null host
  // too): a family the host has no address of (loopback aside) is EAI_NONAME; with only one,
  // AF_UNSPEC means it.
  let want = familyOf(family);
  if ((flags & AI_ADDRCONFIG) !== 0) {
    const configured = lookupEngine().addrconfigFamily(want);
    if (configured === undefined) throw new gaierror(EAI_NONAME, host ?? null);
    want = configured;
  }
  let wanted: number | string | null = service;
  if (typeof service === 'string') {
    const n = numericService(service);
    if (n === undefined && (flags & AI_NUMERICSERV) !== 0) throw new gaierror(EAI_NONAME, host ?? null, `: port '${service}' is not numeric (AI_NUMERICSERV)`);
    // A number above 65535 is refused as a number port is (glibc would keep its low 16 bits).
    if (n !== undefined && n >= 0) wanted = validatePort(n);
  }
  const tuples = await serviceTuples(type, proto, wanted, host ?? null, options);

  let resolved: Resolved;
  if (name === null) {
    const passive = (flags & AI_PASSIVE) !== 0;
    // glibc lists IPv6 then IPv4, then sorts them as any answer (RFC 3484: `::` has the lowest
    // precedence, and `::1` the highest).
    const both = [passive ? '::' : '::1', passive ? '0.0.0.0' : '127.0.0.1'];
    const addresses = want === 0 ? await sortAddresses(both) : [both[want === 6 ? 0 : 1]!];
    resolved = { canonname: '', addresses: addresses.map((address) => ({ address, family: addressFamily(address) })) };
  } else {
    resolved = await resolveHost(name, want, flags, options);
    if ((flags & AI_CANONNAME) !== 0 && ipFamily(name) === 0 && inetAton(name) === undefined) {
      const chain = await cnameChain(resolved.canonname, options);
      if (chain.length > 0) resolved = { ...resolved, canonname: chain.at(-1)! };
    }
  }
  const entries: AddrInfo[] = [];
  for (const { address, family: f } of resolved.addresses) {
    for (const [t, p, n] of tuples) {
      const canonname = entries.length === 0 && (flags & AI_CANONNAME) !== 0 ? resolved.canonname : '';
      entries.push([f === 6 ? AF_INET6 : AF_INET, t, p, canonname, sockaddr(address, n)]);
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
  // Python reads '<broadcast>' as 255.255.255.255, as gethostbyname does.
  const address = ipFamily(ip) !== 0 ? ip : ip === '<broadcast>' ? '255.255.255.255' : (await resolveHost(ip, 0, 0, options)).addresses[0]!.address;
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
 * `socket.getnameinfo`. The address is read as getaddrinfo reads a literal (`127.1` is 127.0.0.1;
 * a `%zone` must be one glibc takes, and the scope is `scopeId`'s, not the zone's). `NI_NUMERICHOST` and `NI_NUMERICSERV` keep numbers, `NI_NAMEREQD` rejects when the address has no name,
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
  const [given, port, , scopeId] = validateSockaddr(sockaddr, 'sockaddr');
  checkOptions(options);
  validateHost(given, 'sockaddr[0]');
  if (!Number.isInteger(flags) || flags < 0) throw outOfRange('flags', 'a non-negative integer of NI_* flags', flags);
  // As Python: the host through getaddrinfo with AI_NUMERICHOST first (inet_aton's `127.1` too; a
  // zone must be one glibc takes), then the address alone: the scope is the tuple's, not the zone's.
  const literal = literalHost(given, 0, AI_NUMERICHOST)?.addresses[0];
  if (literal === undefined) throw new gaierror(EAI_NONAME, given, `: '${given}' is not a numeric address`);
  const zone = literal.address.indexOf('%');
  const ip = zone === -1 ? literal.address : canonicalAddress(literal.address.slice(0, zone));
  // Python: "IPv4 sockaddr must be 2 tuple".
  if ((sockaddr as unknown[]).length > 2 && literal.family === 4) throw invalidArgType('sockaddr', 'a [host, port] pair for an IPv4 address', sockaddr);
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
  host ??= scopeId === 0 ? ip : `${ip}%${scopeText(ip, scopeId)}`;
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
