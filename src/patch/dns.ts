import dns from 'node:dns';
import { isIP } from 'node:net';
import { promisify } from 'node:util';
import { waitScope, type Scope } from '../runtime/scope.js';
import { invalidArgType } from '../internal/validate.js';
import { isPatched, replace, restore, sync } from '../internal/registry.js';
import { CaresLookup, type LookupRequest } from '../resolver/cares.js';
import { CaresQueries } from '../resolver/query.js';

// The patch: dns.lookup and dns.promises.lookup answer through c-ares (no thread pool) with
// getaddrinfo's answers and errors, and every dns query in a greenlet ends when its scope aborts.

/** Options of `patchDns`. */
export interface PatchDnsOptions {
  /**
   * Reuse answers until their TTL ends. getaddrinfo (without nscd) caches nothing, so this is off.
   * @default false
   */
  cache?: boolean;
  /**
   * The largest window of DNS questions in flight; more wait their turn. The window adapts below
   * it: it grows while answers return and halves when one is lost (10,000 at once overflow a
   * server's socket buffer), loss being noticed from the measured round trip (docs/dns.md, Pacing).
   * @default 4096
   */
  concurrency?: number;
}

type Callback = (err: unknown, ...results: unknown[]) => void;
type AnyFn = (this: unknown, ...args: unknown[]) => unknown;

// Captured at load, before any patch: what the patch delegates to and what unpatching restores.
const original = {
  lookup: dns.lookup as unknown as AnyFn,
  promisesLookup: dns.promises.lookup as unknown as AnyFn,
};

const RESOLVE_NAMES = ['resolve', 'resolve4', 'resolve6', 'resolveAny', 'resolveCaa', 'resolveCname', 'resolveMx',
  'resolveNaptr', 'resolveNs', 'resolvePtr', 'resolveSoa', 'resolveSrv', 'resolveTxt', 'reverse'] as const;

// The module-level resolve* are the default Resolver's methods bound to it, and dns.setServers()
// binds them again from Resolver.prototype: patching the prototypes keeps them cancellable then.
let moduleLevel: { target: object; name: string; fn: unknown }[] = [];

let engine: CaresLookup | undefined;
let engineOptions: PatchDnsOptions = {};

function getEngine(): CaresLookup {
  engine ??= new CaresLookup(new CaresQueries({ ...engineOptions, servers: () => dns.getServers() }));
  return engine;
}

const HINT_FLAGS = dns.ADDRCONFIG | dns.ALL | dns.V4MAPPED;

/**
 * Reads lookup arguments as Node 20 does. Returns null when Node itself must handle them: bad
 * arguments (so the error is Node's own), an empty hostname, an IP literal.
 */
function parseLookup(hostname: unknown, options: unknown): LookupRequest | null {
  if (!hostname || typeof hostname !== 'string' || isIP(hostname) !== 0) return null;
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

/** Resolves through c-ares; in a scope, rejects with the scope's reason as soon as it aborts. */
function run(req: LookupRequest, scope: Scope | undefined): Promise<string[]> {
  if (scope?.aborted) return Promise.reject(scope.reason);
  const { promise, release } = getEngine().start(req);
  if (scope === undefined) return promise;
  return new Promise<string[]>((resolve, reject) => {
    const owned = { dispose(reason: unknown) { release(); reject(reason); } };
    scope.own(owned);
    promise.then((v) => { scope.disown(owned); resolve(v); }, (e: unknown) => { scope.disown(owned); reject(e); });
  });
}

/** A promise that also rejects with the scope's reason when the scope aborts first. */
function bound<T>(promise: Promise<T>, scope: Scope | undefined): Promise<T> {
  if (scope === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const owned = { dispose: reject };
    scope.own(owned);
    promise.then((v) => { scope.disown(owned); resolve(v); }, (e: unknown) => { scope.disown(owned); reject(e); });
  });
}

/** Wraps a callback-style dns function so that, in a scope, its callback gets the abort reason at once. */
function cancellableCallback(fn: AnyFn): AnyFn {
  return function (this: unknown, ...args: unknown[]) {
    const scope = waitScope();
    const cb = args[args.length - 1];
    if (scope === undefined || typeof cb !== 'function') return fn.apply(this, args);
    let done = false;
    const owned = { dispose(reason: unknown) { if (!done) { done = true; process.nextTick(cb as Callback, reason); } } };
    args[args.length - 1] = function (this: unknown, ...results: unknown[]) {
      if (done) return;
      done = true;
      scope.disown(owned);
      (cb as Callback).apply(this, results as [unknown]);
    };
    const ret = fn.apply(this, args);
    scope.own(owned);
    return ret;
  };
}

/** Wraps a promise-returning dns function so that, in a scope, it rejects with the abort reason at once. */
function cancellablePromise(fn: AnyFn): AnyFn {
  return function (this: unknown, ...args: unknown[]) {
    const scope = waitScope();
    if (scope?.aborted) return Promise.reject(scope.reason);
    return bound(fn.apply(this, args) as Promise<unknown>, scope);
  };
}

const shape = (req: LookupRequest, addresses: string[]): dns.LookupAddress | dns.LookupAddress[] => {
  const family = (a: string): number => req.family || isIP(a);
  return req.all ? addresses.map((address) => ({ address, family: family(address) })) : { address: addresses[0]!, family: family(addresses[0]!) };
};

/**
 * `dns.promises.lookup` over c-ares: same arguments, results and errors as getaddrinfo's
 * (see docs/dns.md for the few names left to getaddrinfo). Works whether or not dns is patched.
 * In a greenlet it rejects with the scope's reason (GreenletExit, Timeout) as soon as the scope aborts.
 *
 * @example
 * ```ts
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
  if (req === null || getEngine().needsOriginal(req.hostname)) {
    if (scope?.aborted && req !== null) return Promise.reject(scope.reason);
    return bound(original.promisesLookup(hostname, options) as Promise<unknown>, scope);
  }
  return run(req, scope).then((addresses) => shape(req, addresses));
}

const cancellableOriginalLookup = cancellableCallback(original.lookup);

/** The patched `dns.lookup`: Node's callback contract, c-ares underneath. */
function lookup(this: unknown, hostname: unknown, options: unknown, callback?: unknown): object {
  const cb = typeof options === 'function' ? options : callback;
  const req = typeof cb === 'function' ? parseLookup(hostname, typeof options === 'function' ? undefined : options) : null;
  // eslint-disable-next-line prefer-rest-params
  if (req === null || getEngine().needsOriginal(req.hostname)) return cancellableOriginalLookup.apply(this, [...arguments]) as object;
  run(req, waitScope()).then((addresses) => {
    if (req.all) process.nextTick(cb as Callback, null, shape(req, addresses));
    else process.nextTick(cb as Callback, null, addresses[0], req.family || isIP(addresses[0]!));
  }, (err: unknown) => process.nextTick(cb as Callback, err));
  return {};
}
// util.promisify(dns.lookup) resolves { address, family }, as it does for Node's own.
Object.defineProperty(lookup, promisify.custom, {
  value: (hostname: unknown, options?: unknown) => new Promise((resolve, reject) => {
    const done = (err: unknown, address: unknown, family: unknown): void => { if (err) reject(err); else resolve({ address, family }); };
    if (options === undefined) lookup(hostname, done); else lookup(hostname, options, done);
  }),
});

/**
 * Patches node:dns: `lookup` and `promises.lookup` resolve through c-ares with getaddrinfo's
 * answers, and every query (`lookup`, `resolve*`, `reverse`, `lookupService`, callback or promise)
 * issued in a greenlet ends at once when the greenlet is killed or its timeout fires.
 * Calling it again changes nothing (options of the first call stay); ESM importers see the patch.
 *
 * @example
 * ```ts
 * import { patchDns } from 'nodevent/patch';
 * import dns from 'node:dns';
 * patchDns();
 * const names = Array.from({ length: 100 }, () => 'localhost');
 * const addresses = await Promise.all(names.map((n) => dns.promises.lookup(n))); // no 4-thread cap
 * ```
 */
export function patchDns(options: PatchDnsOptions = {}): void {
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  if (isPatched('dns')) return;
  if (engine === undefined) engineOptions = { ...options };
  replace('dns', dns, 'lookup', lookup);
  replace('dns', dns.promises, 'lookup', caresLookup, 'promises.lookup');
  moduleLevel = [];
  const sides = [
    { module: dns as object, proto: dns.Resolver.prototype as object, prefix: '', wrap: cancellableCallback },
    { module: dns.promises as object, proto: dns.promises.Resolver.prototype as object, prefix: 'promises.', wrap: cancellablePromise },
  ];
  for (const { module, proto, prefix, wrap } of sides) {
    for (const name of [...RESOLVE_NAMES, 'lookupService']) {
      const protoFn = (proto as Record<string, AnyFn>)[name];
      if (typeof protoFn === 'function') replace('dns', proto, name, wrap(protoFn), `${prefix}Resolver.prototype.${name}`);
      const fn = (module as Record<string, AnyFn>)[name];
      if (typeof fn !== 'function') continue;
      const wrapped = wrap(fn);
      replace('dns', module, name, wrapped, `${prefix}${name}`);
      moduleLevel.push({ target: module, name, fn: wrapped });
    }
  }
}

/**
 * Puts back node:dns's originals (identity preserved).
 *
 * @example
 * ```ts
 * import { patchDns, unpatchDns } from 'nodevent/patch';
 * patchDns();
 * // ...
 * unpatchDns();
 * ```
 */
export function unpatchDns(): void {
  // After dns.setServers() the module-level functions are bound to a newer default Resolver than
  // the recorded originals: rebinding them (setServers with the same servers) keeps that resolver.
  const rebound = moduleLevel.some(({ target, name, fn }) => (target as Record<string, unknown>)[name] !== fn);
  moduleLevel = [];
  if (!restore('dns') || !rebound) return;
  dns.setServers(dns.getServers());
  dns.promises.setServers(dns.promises.getServers());
  sync();
}
