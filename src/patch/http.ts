import type http from 'node:http';
import type https from 'node:https';
import net from 'node:net';
import { builtin } from '../internal/builtins.js';
import { outsideScope, owningScope } from '../runtime/scope.js';
import { markShared } from './net.js';
import { lookupsOwnedBy } from './dns.js';
import { DestroyOnAbort } from './owner.js';
import { isPatched, replace, restore } from '../internal/registry.js';

// The request, not the connection, belongs to the greenlet. An agent's sockets are created outside
// every scope and marked shared, so a kill never reaches a pooled socket directly: destroying the
// request destroys the socket only if it was serving that request (what req.destroy does anyway).
// The lookup of a connection being made for a request is that request's: a kill cancels it, and
// the socket, still connecting, ends with the lookup's error (the agent drops it from its pool).

// node:http is loaded by patchHttp, not with nodevent (see builtin).
let ClientRequest: typeof http.ClientRequest | undefined;

function ownRequest(req: http.ClientRequest): http.ClientRequest {
  const scope = owningScope();
  if (scope === undefined || ClientRequest === undefined || !(req instanceof ClientRequest)) return req;
  new DestroyOnAbort(req, scope).attach();
  return req;
}

type RequestFn = (...args: unknown[]) => http.ClientRequest;
type CreateConnection = (this: http.Agent, ...args: unknown[]) => net.Socket | undefined;

function patchModule(name: 'http' | 'https', mod: typeof http | typeof https): void {
  const request = mod.request as unknown as RequestFn;
  const get = mod.get as unknown as RequestFn;
  replace(name, mod, 'request', function patchedRequest(...args: unknown[]) {
    return ownRequest(request(...args));
  });
  replace(name, mod, 'get', function patchedGet(...args: unknown[]) {
    return ownRequest(get(...args));
  });
  const proto = mod.Agent.prototype as unknown as { createConnection: CreateConnection };
  const createConnection = proto.createConnection;
  replace(name, proto, 'createConnection', function patchedCreateConnection(this: http.Agent, ...args: unknown[]) {
    // The connection is the agent's; the lookup it starts is the request's (see lookupsOwnedBy).
    const requester = owningScope();
    const socket = outsideScope(() => (requester === undefined ? createConnection.apply(this, args) : lookupsOwnedBy(requester, () => createConnection.apply(this, args))));
    if (socket instanceof net.Socket) markShared(socket);
    return socket;
  }, 'Agent.prototype.createConnection');
}

/**
 * Makes every `http.request` / `http.get` / `https.request` / `https.get` made inside a greenlet
 * belong to its scope: on kill or timeout the request is destroyed with the reason (the server sees
 * the connection close). Sockets created by an `http.Agent` (the global one or yours) belong to the
 * agent, never to a greenlet: a kill takes from the pool only the socket serving the killed
 * request. Idempotent.
 *
 * @example
 * ```ts runnable
 * import { once } from 'node:events';
 * import http from 'node:http';
 * import type { AddressInfo } from 'node:net';
 * import { patchHttp, sleep, spawn } from 'nodevent';
 * patchHttp();
 * const server = http.createServer(() => {}).listen(0, '127.0.0.1'); // never answers
 * await once(server, 'listening');
 * const { port } = server.address() as AddressInfo;
 * const g = spawn(() => new Promise((resolve, reject) => http.get(`http://127.0.0.1:${port}/`, resolve).on('error', reject)));
 * await sleep(0.1);
 * await g.kill(); // the request is destroyed, and its socket: the server sees the connection close
 * server.close();
 * ```
 */
export function patchHttp(): void {
  const http = builtin<typeof import('node:http')>('node:http');
  ClientRequest = http.ClientRequest;
  if (!isPatched('http')) patchModule('http', http);
  if (!isPatched('https')) patchModule('https', builtin<typeof import('node:https')>('node:https'));
}

/**
 * Puts back the original http and https functions.
 *
 * @example
 * ```ts runnable
 * import { patchHttp, unpatchHttp } from 'nodevent/patch';
 * patchHttp();
 * // ...
 * unpatchHttp();
 * ```
 */
export function unpatchHttp(): void {
  restore('https');
  restore('http');
}
