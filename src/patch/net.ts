import net from 'node:net';
import { owningScope, type Scope } from '../runtime/scope.js';
import { invalidArgType } from '../internal/validate.js';
import { DestroyOnAbort } from './owner.js';
import { isPatched, replace, restore } from '../internal/registry.js';

// One patch covers net.connect, net.createConnection, new net.Socket().connect and tls.connect:
// they all end in Socket.prototype.connect (TLSSocket inherits it).

const kShared = Symbol('nodevent.shared');
const kOwner = Symbol('nodevent.owner');

type Tagged = net.Socket & { [kShared]?: true; [kOwner]?: SocketOwner };

/** The socket's owner, found again through the socket's `kOwner` tag. */
class SocketOwner extends DestroyOnAbort<Tagged> {
  protected override forget(): void {
    this.target[kOwner] = undefined;
  }
}

/**
 * Makes `socket` belong to no greenlet: it is never destroyed by a kill or a timeout, even if it
 * was connected inside one. Use it for a connection a shared client keeps. Returns the socket.
 *
 * @example
 * ```ts runnable
 * import { once } from 'node:events';
 * import net from 'node:net';
 * import { sleep, spawn } from 'nodevent';
 * import { markShared, patchNet } from 'nodevent/patch';
 * patchNet();
 * const server = net.createServer().listen(0, '127.0.0.1'); // accepts, never answers
 * await once(server, 'listening');
 * const { port } = server.address() as net.AddressInfo;
 * let shared: net.Socket | undefined;
 * const g = spawn(async () => {
 *   shared = markShared(net.connect(port, '127.0.0.1')); // a connection a shared client keeps
 *   await sleep(60);
 * });
 * await sleep(0.1);
 * await g.kill();
 * console.log(shared?.destroyed); // false: the kill left it alone
 * shared?.destroy();
 * server.close();
 * ```
 */
export function markShared<S extends net.Socket>(socket: S): S {
  if (!(socket instanceof net.Socket)) throw invalidArgType('socket', 'an instance of net.Socket', socket);
  const tagged = socket as Tagged;
  tagged[kShared] = true;
  const owner = tagged[kOwner];
  if (owner !== undefined) {
    socket.off('close', owner.release);
    owner.release();
  }
  return socket;
}

/**
 * True when `socket` was marked with `markShared` (or created by a patched agent).
 *
 * @example
 * ```ts runnable
 * import net from 'node:net';
 * import { isShared, markShared } from 'nodevent/patch';
 * console.log(isShared(markShared(new net.Socket()))); // true
 * ```
 */
export function isShared(socket: net.Socket): boolean {
  return (socket as Tagged)[kShared] === true;
}

/**
 * The scope that owns `socket`, or undefined.
 *
 * @example
 * ```ts runnable
 * import { once } from 'node:events';
 * import net from 'node:net';
 * import { spawn } from 'nodevent';
 * import { patchNet, socketOwner } from 'nodevent/patch';
 * patchNet();
 * const server = net.createServer((conn) => conn.end()).listen(0, '127.0.0.1');
 * await once(server, 'listening');
 * const { port } = server.address() as net.AddressInfo;
 * await spawn(() => {
 *   const socket = net.connect(port, '127.0.0.1');
 *   console.log(socketOwner(socket) !== undefined); // true: the greenlet that connected it
 *   return once(socket, 'close');
 * });
 * server.close();
 * ```
 */
export function socketOwner(socket: net.Socket): Scope | undefined {
  return (socket as Tagged)[kOwner]?.scope;
}

/** @internal Owns `socket` by the current scope unless it is shared or owned already. */
export function ownSocket(socket: Tagged): void {
  if (socket[kShared] === true || socket[kOwner] !== undefined) return;
  const scope = owningScope();
  if (scope === undefined) return;
  const owner = new SocketOwner(socket, scope);
  socket[kOwner] = owner;
  owner.attach();
}

/**
 * Makes every socket connected inside a greenlet (or a `withTimeout` block) belong to that scope:
 * when it is killed or times out, the socket is destroyed with the reason; when it ends normally
 * the socket is left alone. Sockets disown themselves on 'close'. Covers `net.connect`,
 * `net.createConnection`, `new net.Socket().connect` and `tls.connect`. Idempotent.
 *
 * @example
 * ```ts runnable
 * import { once } from 'node:events';
 * import net from 'node:net';
 * import { patchNet, sleep, spawn } from 'nodevent';
 * patchNet();
 * const server = net.createServer().listen(0, '127.0.0.1'); // accepts, never answers
 * await once(server, 'listening');
 * const { port } = server.address() as net.AddressInfo;
 * const g = spawn(async () => {
 *   const socket = net.connect(port, '127.0.0.1');
 *   await once(socket, 'data'); // no answer ever comes
 * });
 * await sleep(0.1);
 * await g.kill(); // the socket is destroyed: the server sees the connection close
 * server.close(); // and, with no connection left, lets the process end
 * ```
 */
export function patchNet(): void {
  if (isPatched('net')) return;
  const proto = net.Socket.prototype as Tagged;
  const original = proto.connect as (...args: unknown[]) => net.Socket;
  replace('net', proto, 'connect', function connect(this: Tagged, ...args: unknown[]) {
    // After the original: a connect() that throws (bad arguments) must leave nothing owned.
    const result = original.apply(this, args);
    ownSocket(this);
    return result;
  }, 'Socket.prototype.connect');
}

/**
 * Puts back the original `net.Socket.prototype.connect`. Sockets owned already stay owned.
 *
 * @example
 * ```ts runnable
 * import { patchNet, unpatchNet } from 'nodevent/patch';
 * patchNet();
 * // ...
 * unpatchNet();
 * ```
 */
export function unpatchNet(): void {
  restore('net');
}
