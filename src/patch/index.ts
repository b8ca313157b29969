import dns from 'node:dns';
import net from 'node:net';
import timers from 'node:timers';
import timersPromises from 'node:timers/promises';
import { outsideScope } from '../runtime/scope.js';
import { invalidArgType } from '../internal/validate.js';
import { builtin } from '../internal/builtins.js';
import { patchClients, unpatchClients } from './clients/index.js';
import { patchDns, unpatchDns } from './dns.js';
import { patchFetch, unpatchFetch } from './fetch.js';
import { patchHttp, unpatchHttp } from './http.js';
import { markShared, patchNet, unpatchNet } from './net.js';
import * as registry from '../internal/registry.js';
import { patchTimers, unpatchTimers } from './timers.js';

export { patchClients, unpatchClients, patchPg, unpatchPg, patchIoredis, unpatchIoredis, patchRedis, unpatchRedis, patchMysql2, unpatchMysql2 } from './clients/index.js';
export { outsideScope } from '../runtime/scope.js';
export { caresLookup, patchDns, unpatchDns } from './dns.js';
export type { PatchDnsOptions } from './dns.js';
export { patchFetch, unpatchFetch, scopeInterceptor, ScopedDispatcher } from './fetch.js';
export { patchHttp, unpatchHttp } from './http.js';
export { patchNet, unpatchNet, markShared, isShared, socketOwner } from './net.js';
export { patchTimers, unpatchTimers } from './timers.js';

/** What `patchAll` patches. Every field is optional; omitted ones take their default. */
export interface PatchOptions {
  /** Cooperative, cancellable `dns.lookup` (and `dns.promises.lookup`). @default true */
  dns?: boolean;
  /** Sockets connected inside a greenlet belong to it (`net`, `tls`). @default true */
  net?: boolean;
  /** `http`/`https` requests made inside a greenlet belong to it. @default true */
  http?: boolean;
  /** Node's global `fetch` and undici's `fetch`/`request` belong to the greenlet. @default true */
  fetch?: boolean;
  /**
   * Timers set inside a greenlet are cleared when it is killed. Off by default: a shared client's
   * timer set while serving a greenlet would be cleared too (see docs/patching.md).
   * @default false
   */
  timers?: boolean;
  /**
   * Pooled clients follow greenlets: pg/pg-pool, ioredis, node-redis and mysql2, whenever the
   * application loads them (see docs/patching.md).
   * @default true
   */
  clients?: boolean;
}

const DEFAULTS: Required<PatchOptions> = { dns: true, net: true, http: true, fetch: true, timers: false, clients: true };
const PATCHERS: Record<keyof PatchOptions, [patch: () => void, unpatch: () => void]> = {
  dns: [patchDns, unpatchDns],
  net: [patchNet, unpatchNet],
  http: [patchHttp, unpatchHttp],
  fetch: [patchFetch, unpatchFetch],
  timers: [patchTimers, unpatchTimers],
  clients: [patchClients, unpatchClients],
};

/**
 * Patches the standard library so that code that never heard of nodevent — third-party libraries
 * included — gets owned, cancellable I/O inside greenlets. Patches dns, net, http and fetch by
 * default; timers only with `{ timers: true }`. Calling it again patches the union; what is
 * patched already is left as it is. Call it before other modules capture the functions it replaces
 * (or preload `nodevent/register`).
 *
 * @example
 * ```ts runnable
 * import { once } from 'node:events';
 * import http from 'node:http';
 * import type { AddressInfo } from 'node:net';
 * import { Timeout, patchAll, spawn, withTimeout } from 'nodevent';
 * patchAll();
 * const server = http.createServer(() => {}).listen(0, '127.0.0.1'); // never answers
 * await once(server, 'listening');
 * const { port } = server.address() as AddressInfo;
 * const g = spawn(() => withTimeout(0.5, () => fetch(`http://127.0.0.1:${port}/`)));
 * await g.join();
 * console.log(g.exception instanceof Timeout); // true, and the connection is closed
 * server.close();
 * ```
 */
export function patchAll(options: PatchOptions = {}): void {
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  const chosen = { ...DEFAULTS };
  for (const [key, value] of Object.entries(options)) {
    if (!(key in DEFAULTS)) throw invalidArgType(`options.${key}`, `one of ${Object.keys(DEFAULTS).join(', ')} (unknown option)`, value);
    if (value === undefined) continue;
    if (typeof value !== 'boolean') throw invalidArgType(`options.${key}`, 'of type boolean', value);
    chosen[key as keyof PatchOptions] = value;
  }
  for (const key of Object.keys(PATCHERS) as (keyof PatchOptions)[]) {
    if (chosen[key]) PATCHERS[key][0]();
  }
}

/**
 * Undoes every patch: each replaced function and property is put back, identical (`===`) to the
 * original. Resources already owned by a scope stay owned until they close. Safe to call when
 * nothing is patched.
 *
 * @example
 * ```ts runnable
 * import net from 'node:net';
 * import { patchAll, unpatchAll } from 'nodevent';
 * const connect = net.Socket.prototype.connect;
 * patchAll();
 * unpatchAll();
 * console.log(net.Socket.prototype.connect === connect); // true
 * ```
 */
export function unpatchAll(): void {
  for (const key of (Object.keys(PATCHERS) as (keyof PatchOptions)[]).reverse()) PATCHERS[key][1]();
  for (const name of registry.patchedModules()) registry.restore(name);
}

// http, https and tls are loaded when asked for, not with nodevent (see builtin).
const MODULES: Record<string, () => object> = {
  dns: () => dns,
  net: () => net,
  tls: () => builtin('node:tls'),
  http: () => builtin('node:http'),
  https: () => builtin('node:https'),
  timers: () => timers,
  'timers/promises': () => timersPromises,
  fetch: () => globalThis,
};

function moduleName(name: unknown, argument: string): string {
  if (typeof name !== 'string') throw invalidArgType(argument, 'of type string', name);
  return name.startsWith('node:') ? name.slice(5) : name;
}

/**
 * True when nodevent has patched `name`: 'dns', 'net', 'http', 'https', 'fetch' or 'timers'
 * (a `node:` prefix is accepted).
 *
 * @example
 * ```ts runnable
 * import { patchAll, isPatched } from 'nodevent';
 * patchAll();
 * console.log(isPatched('net'), isPatched('timers')); // true false
 * ```
 */
export function isPatched(name: string): boolean {
  return registry.isPatched(moduleName(name, 'name'));
}

/**
 * The original of `name` in module `module`, as it was before nodevent patched it; when it is not
 * patched, the current value. `name` may be a dotted path ('Socket.prototype.connect',
 * 'Agent.prototype.createConnection').
 *
 * @example
 * ```ts runnable
 * import http from 'node:http';
 * import { patchAll, getOriginal } from 'nodevent';
 * const request = http.request;
 * patchAll();
 * console.log(getOriginal('http', 'request') === request); // true
 * ```
 */
export function getOriginal(module: string, name: string): unknown {
  const mod = moduleName(module, 'module');
  if (typeof name !== 'string') throw invalidArgType('name', 'of type string', name);
  if (registry.isPatched(mod)) {
    const original = registry.getOriginal(mod, name);
    if (original !== undefined) return original;
  }
  let value: unknown = Object.hasOwn(MODULES, mod) ? MODULES[mod]!() : undefined;
  if (value === undefined) return undefined;
  for (const part of name.split('.')) {
    if (value === null || value === undefined) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/**
 * Returns a view of `obj` (a client, a pool) whose methods run outside every scope, so a
 * connection or timer it opens while serving a greenlet is never that greenlet's. Killing the
 * greenlet abandons its call (the greenlet is dead at once) without touching the client. For a
 * `net.Socket`, marks that socket shared (see `markShared`) and returns it.
 *
 * @example
 * ```ts runnable
 * import { createClient } from 'redis';
 * import { shared } from 'nodevent/patch';
 * const client = shared(createClient());
 * ```
 */
export function shared<T extends object>(obj: T): T {
  if (obj === null || (typeof obj !== 'object' && typeof obj !== 'function')) throw invalidArgType('obj', 'an object', obj);
  if (obj instanceof net.Socket) return markShared(obj) as T;
  const wrapped = new WeakMap<object, unknown>();
  const proxy: T = new Proxy(obj, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      let fn = wrapped.get(value);
      if (fn === undefined) {
        const method = value as (...args: unknown[]) => unknown;
        fn = function (this: unknown, ...args: unknown[]) {
          return outsideScope(() => method.apply(this === proxy ? target : this, args));
        };
        wrapped.set(value, fn);
      }
      return fn;
    },
  });
  return proxy;
}
