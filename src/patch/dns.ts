import dns from 'node:dns';
import { promisify } from 'node:util';
import { waitScope, type Scope } from '../runtime/scope.js';
import { invalidArgType } from '../internal/validate.js';
import { isPatched, replace, restore, sync } from '../internal/registry.js';
import { familyOf } from '../resolver/addresses.js';
import { caresLookup, configureLookup, lookupEngine, parseLookup, shapeLookup, startLookup } from '../resolver/lookup.js';
import { bound } from '../runtime/abortable.js';
import type { LookupDone, LookupRequest } from '../resolver/cares.js';

export { caresLookup } from '../resolver/lookup.js';

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
   * it: it grows while answers return, and halves when one is lost (10,000 at once overflow a
   * server's socket buffer) before it climbs back to what the server took, loss being noticed from
   * the measured round trip (docs/dns.md, Pacing).
   * @default 4096
   */
  concurrency?: number;
}

type Callback = (err: unknown, ...results: unknown[]) => void;
type AnyFn = (this: unknown, ...args: unknown[]) => unknown;

// Captured at load, before any patch: what the patch delegates to and what unpatching restores.
const original = {
  lookup: dns.lookup as unknown as AnyFn,
};

const RESOLVE_NAMES = ['resolve', 'resolve4', 'resolve6', 'resolveAny', 'resolveCaa', 'resolveCname', 'resolveMx',
  'resolveNaptr', 'resolveNs', 'resolvePtr', 'resolveSoa', 'resolveSrv', 'resolveTxt', 'reverse'] as const;

// The module-level resolve* are the default Resolver's methods bound to it, and dns.setServers()
// binds them again from Resolver.prototype: patching the prototypes keeps them cancellable then.
let moduleLevel: { target: object; name: string; fn: unknown }[] = [];

/** Starts, in place of the patched lookup, the lookups begun while it owns them (see `lookupsOwnedBy`). */
export interface LookupHolder {
  startLookup(req: LookupRequest, done: LookupDone): void;
}

// What owns the lookups started now, in place of the caller's scope (see `lookupsOwnedBy`).
let lookupOwner: Scope | LookupHolder | undefined;

const isHolder = (owner: Scope | LookupHolder): owner is LookupHolder => 'startLookup' in owner;

/**
 * Runs `fn` (outside every scope) with the lookups it starts owned by `owner`. An agent connects
 * for a request outside the requester's scope, since the connection outlives the request, but the
 * connection's lookup is for that request only, and a kill of its greenlet must cancel it: the
 * owner is then the requester's scope. undici connects for an origin's waiting requests together:
 * the owner is then a holder that decides how long the c-ares lookups run (connectlookups.ts).
 * @internal
 */
export function lookupsOwnedBy<R>(owner: Scope | LookupHolder, fn: () => R): R {
  const before = lookupOwner;
  lookupOwner = owner;
  try {
    return fn();
  } finally {
    lookupOwner = before;
  }
}

/** The scope a lookup started now belongs to (none under a holder: getaddrinfo cannot be held). */
const lookupScope = (): Scope | undefined => (lookupOwner === undefined ? waitScope() : isHolder(lookupOwner) ? undefined : lookupOwner);

/** Wraps a callback-style dns function so that, in a scope, its callback gets the abort reason at once. */
function cancellableCallback(fn: AnyFn, scopeOf: () => Scope | undefined = waitScope): AnyFn {
  return function (this: unknown, ...args: unknown[]) {
    const scope = scopeOf();
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

const cancellableOriginalLookup = cancellableCallback(original.lookup, lookupScope);

/** The patched `dns.lookup`: Node's callback contract, c-ares underneath. */
function lookup(this: unknown, hostname: unknown, options: unknown, callback?: unknown): object {
  const cb = typeof options === 'function' ? options : callback;
  const req = typeof cb === 'function' ? parseLookup(hostname, typeof options === 'function' ? undefined : options) : null;
  // eslint-disable-next-line prefer-rest-params
  if (req === null || lookupEngine().needsOriginal(req.hostname)) return cancellableOriginalLookup.apply(this, [...arguments]) as object;
  const done: LookupDone = (err, addresses) => {
    if (err !== null) process.nextTick(cb as Callback, err);
    else if (req.all) process.nextTick(cb as Callback, null, shapeLookup(req, addresses!));
    else process.nextTick(cb as Callback, null, addresses![0], req.family || familyOf(addresses![0]!));
  };
  if (lookupOwner !== undefined && isHolder(lookupOwner)) lookupOwner.startLookup(req, done);
  else startLookup(req, lookupScope(), done);
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
 * ```ts runnable
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
  configureLookup(options);
  // Patching is start-up: the engine reads the system configuration now, not on the first lookup.
  lookupEngine().prime();
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
 * ```ts runnable
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
