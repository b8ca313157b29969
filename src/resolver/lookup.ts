import dns from 'node:dns';
import { waitScope, type Scope } from '../runtime/scope.js';
import { bound } from '../runtime/abortable.js';
import { CaresLookup, type LookupDone, type LookupRequest } from './cares.js';
import { CaresQueries, type QueryOptions } from './query.js';
import { familyOf, ipFamily } from './addresses.js';
import { HOSTS_PATH } from './hosts.js';

// `dns.promises.lookup`'s contract over the shared CaresLookup engine, usable patched or not: the
// patch (src/patch/dns.ts) installs it, src/net's resolver calls it directly.

// Captured at load, before any patch: names c-ares cannot answer faithfully go here.
const originalPromisesLookup = dns.promises.lookup as (hostname: unknown, options?: unknown) => Promise<unknown>;

let engine: CaresLookup | undefined;
/** Engines reading another hosts file (the socket module's `hostsFile`), on the shared queries. */
const otherHosts = new Map<string, CaresLookup>();
let engineOptions: Pick<QueryOptions, 'cache' | 'concurrency'> = {};

/** Sets the shared engine's options; only before its first lookup (later calls change nothing). */
export function configureLookup(options: Pick<QueryOptions, 'cache' | 'concurrency'>): void {
  if (engine === undefined) engineOptions = { ...options };
}

/**
 * The engine every lookup of the process shares (one window, one set of channels); with `hosts`,
 * one that reads that hosts file instead of /etc/hosts, asking its questions on the same channels.
 */
export function lookupEngine(hosts?: string): CaresLookup {
  engine ??= new CaresLookup(new CaresQueries({ ...engineOptions, servers: () => dns.getServers() }));
  if (hosts === undefined || hosts === HOSTS_PATH) return engine;
  let other = otherHosts.get(hosts);
  if (other === undefined) otherHosts.set(hosts, (other = new CaresLookup(engine.queries, { hosts })));
  return other;
}

const HINT_FLAGS = dns.ADDRCONFIG | dns.ALL | dns.V4MAPPED;

/**
 * Reads lookup arguments as Node 20 does. Returns null when Node itself must handle them: bad
 * arguments (so the error is Node's own), an empty hostname, an IP literal.
 */
export function parseLookup(hostname: unknown, options: unknown): LookupRequest | null {
  if (!hostname || typeof hostname !== 'string' || ipFamily(hostname) !== 0) return null;
  const req: LookupRequest = { hostname, family: 0, hints: 0, all: false, order: dns.getDefaultResultOrder() as LookupRequest['order'] };
  if (typeof options === 'number') {
    if (options !== 0 && options !== 4 && options !== 6) return null;
    req.family = options;
    return req;
  }
  if (options === undefined || options === null) return req;
  if (typeof options !== 'object') return null;
  const o = options as Record<string, unknown>;
  if (o.hints != null) {
    if (typeof o.hints !== 'number' || ((o.hints >>> 0) & ~HINT_FLAGS) !== 0) return null;
    req.hints = o.hints >>> 0;
  }
  if (o.family != null) {
    const f = o.family === 'IPv4' ? 4 : o.family === 'IPv6' ? 6 : o.family;
    if (f !== 0 && f !== 4 && f !== 6) return null;
    req.family = f;
  }
  if (o.all != null) {
    if (typeof o.all !== 'boolean') return null;
    req.all = o.all;
  }
  if (o.verbatim != null) {
    if (typeof o.verbatim !== 'boolean') return null;
    req.order = o.verbatim ? 'verbatim' : 'ipv4first';
  }
  if (o.order != null) {
    if (o.order !== 'verbatim' && o.order !== 'ipv4first' && o.order !== 'ipv6first') return null;
    req.order = o.order;
  }
  return req;
}

/**
 * Resolves through c-ares and calls `done` once; in a scope, with the scope's reason as soon as
 * it aborts (the lookup's questions are then released). Callbacks, not promises: this is the
 * path of every patched lookup, and each promise layer costs a microtask and an allocation.
 */
export function startLookup(req: LookupRequest, scope: Scope | undefined, done: LookupDone): void {
  if (scope?.aborted) done(scope.reason as Error);
  else lookupEngine().start(req, done, scope);
}

/** `{ address, family }` or, with `all`, the list of them. */
export function shapeLookup(req: LookupRequest, addresses: string[]): dns.LookupAddress | dns.LookupAddress[] {
  if (!req.all) return { address: addresses[0]!, family: req.family || familyOf(addresses[0]!) };
  return addresses.map((address) => ({ address, family: req.family || familyOf(address) }));
}

/**
 * `dns.promises.lookup` over c-ares: same arguments, results and errors as getaddrinfo's
 * (see docs/dns.md for the few names left to getaddrinfo). Works whether or not dns is patched.
 * In a greenlet it rejects with the scope's reason (GreenletExit, Timeout) as soon as the scope aborts.
 *
 * @example
 * ```ts runnable
 * import { caresLookup } from 'nodevent/patch';
 * const { address, family } = await caresLookup('localhost', { family: 4 });
 * const all = await caresLookup('localhost', { all: true });
 * console.log(address, family, all.map((a) => a.address));
 * ```
 */
export function caresLookup(hostname: string, family?: number): Promise<dns.LookupAddress>;
export function caresLookup(hostname: string, options: dns.LookupOneOptions): Promise<dns.LookupAddress>;
export function caresLookup(hostname: string, options: dns.LookupAllOptions): Promise<dns.LookupAddress[]>;
export function caresLookup(hostname: string, options?: number | dns.LookupOptions): Promise<dns.LookupAddress | dns.LookupAddress[]>;
export function caresLookup(hostname: unknown, options?: unknown): Promise<unknown> {
  const req = parseLookup(hostname, options);
  const scope = waitScope();
  if (req === null || lookupEngine().needsOriginal(req.hostname)) {
    if (scope?.aborted && req !== null) return Promise.reject(scope.reason);
    return bound(originalPromisesLookup(hostname, options), scope);
  }
  return new Promise((resolve, reject) => {
    startLookup(req, scope, (err, addresses) => (err === null ? resolve(shapeLookup(req, addresses!)) : reject(err)));
  });
}

/**
 * The addresses of `hostname` (a name: not empty, not an IP literal) for `family` and `hints`, in
 * getaddrinfo's order: what `caresLookup(hostname, { all: true, family, hints })` lists, as
 * strings, without reading options or shaping objects. In a greenlet it rejects with the scope's
 * reason as soon as the scope aborts.
 */
export function caresAddresses(hostname: string, family: 0 | 4 | 6, hints: number): Promise<string[]> {
  const scope = waitScope();
  return new Promise((resolve, reject) => {
    lookupAddresses(hostname, family, hints, scope, (err, addresses) => (err === null ? resolve(addresses!) : reject(err)));
  });
}

/**
 * `caresAddresses` with a callback, owned by `scope` (given, so that callers that already know it
 * need not look it up again): `done` gets the addresses and the name that had them, or the error,
 * or the scope's reason as soon as it aborts. `hosts`: the hosts file read (default /etc/hosts).
 * `order`: `'answer'` leaves the addresses as the sources gave them (gethostbyname_r's order);
 * by default, getaddrinfo's with Node's default result order. A name left to the original
 * getaddrinfo (see `needsOriginal`) comes in its order either way.
 */
export function lookupAddresses(hostname: string, family: 0 | 4 | 6, hints: number, scope: Scope | undefined, done: LookupDone, hosts?: string, order?: 'answer'): void {
  const chosen = lookupEngine(hosts);
  if (chosen.needsOriginal(hostname)) {
    if (scope?.aborted) {
      done(scope.reason as Error);
      return;
    }
    const all = originalPromisesLookup(hostname, { all: true, family, hints }) as Promise<dns.LookupAddress[]>;
    bound(all, scope).then((list) => done(null, list.map((a) => a.address)), (error: unknown) => done(error as Error));
    return;
  }
  const req: LookupRequest = { hostname, family, hints, all: true, order: order ?? dns.getDefaultResultOrder() as LookupRequest['order'] };
  if (scope?.aborted) done(scope.reason as Error);
  else chosen.start(req, done, scope);
}
