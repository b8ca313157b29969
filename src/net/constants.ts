// Python's socket constants, with Linux's values: what `socket.AF_INET6` and the others are there,
// so numbers copied from a Python program or a C header mean the same here.

/**
 * Address family: any (IPv4 or IPv6), the default of `getaddrinfo`.
 *
 * @example
 * ```ts runnable
 * import { AF_INET, AF_INET6, AF_UNSPEC, getaddrinfo } from 'nodevent/net';
 * const all = await getaddrinfo('127.0.0.1', 80, { family: AF_UNSPEC });
 * console.log(all.every(([family]) => family === AF_INET || family === AF_INET6)); // true
 * ```
 */
export const AF_UNSPEC = 0;
/** Address family: IPv4. */
export const AF_INET = 2;
/** Address family: IPv6. */
export const AF_INET6 = 10;

/**
 * Socket type: a stream (TCP).
 *
 * @example
 * ```ts runnable
 * import { AF_INET, SOCK_STREAM, socket } from 'nodevent/net';
 * const sock = socket(AF_INET, SOCK_STREAM); // a TcpSocket, owned by the calling greenlet
 * sock.close();
 * ```
 */
export const SOCK_STREAM = 1;
/** Socket type: datagrams (UDP). */
export const SOCK_DGRAM = 2;
/** Socket type: raw (only a `getaddrinfo` filter here: no raw sockets). */
export const SOCK_RAW = 3;

/** Protocol: any (the default of `getaddrinfo`). */
export const IPPROTO_IP = 0;
/** Protocol: TCP. */
export const IPPROTO_TCP = 6;
/** Protocol: UDP. */
export const IPPROTO_UDP = 17;

/**
 * `getaddrinfo` flag: a null host means the wildcard address (for bind), not loopback.
 *
 * @example
 * ```ts runnable
 * import { AF_INET, AI_PASSIVE, SOCK_STREAM, getaddrinfo } from 'nodevent/net';
 * const [first] = await getaddrinfo(null, 8080, { family: AF_INET, type: SOCK_STREAM, flags: AI_PASSIVE });
 * console.log(first?.[4]); // [ '0.0.0.0', 8080 ]
 * ```
 */
export const AI_PASSIVE = 0x1;
/** `getaddrinfo` flag: fill in the canonical name of the first result. */
export const AI_CANONNAME = 0x2;
/** `getaddrinfo` flag: the host must be an IP literal (no lookup). */
export const AI_NUMERICHOST = 0x4;
/** `getaddrinfo` flag: with `AF_INET6`, return IPv4 addresses as IPv4-mapped IPv6. */
export const AI_V4MAPPED = 0x8;
/** `getaddrinfo` flag: with `AI_V4MAPPED`, return both IPv6 and mapped IPv4 addresses. */
export const AI_ALL = 0x10;
/** `getaddrinfo` flag: only families configured on this host. */
export const AI_ADDRCONFIG = 0x20;
/** `getaddrinfo` flag: the port must be numeric (no service-name lookup). */
export const AI_NUMERICSERV = 0x400;

/**
 * `getnameinfo` flag: keep the address numeric (no reverse lookup).
 *
 * @example
 * ```ts runnable
 * import { NI_NUMERICHOST, NI_NUMERICSERV, getnameinfo } from 'nodevent/net';
 * console.log(await getnameinfo(['127.0.0.1', 80], NI_NUMERICHOST | NI_NUMERICSERV)); // [ '127.0.0.1', '80' ]
 * ```
 */
export const NI_NUMERICHOST = 0x1;
/** `getnameinfo` flag: keep the port numeric (no service name). */
export const NI_NUMERICSERV = 0x2;
/** `getnameinfo` flag: keep only the first label of the host name. */
export const NI_NOFQDN = 0x4;
/** `getnameinfo` flag: reject with `gaierror` when the address has no name. */
export const NI_NAMEREQD = 0x8;
/** `getnameinfo` flag: name the UDP service of the port rather than the TCP one. */
export const NI_DGRAM = 0x10;

/**
 * `shutdown` mode: stop reading.
 *
 * @example
 * ```ts runnable
 * import { SHUT_WR, StreamServer, create_connection } from 'nodevent/net';
 * // Echoes what it read once the client has stopped writing.
 * const echo = new StreamServer(['127.0.0.1', 0], async (conn) => {
 *   const chunks: Buffer[] = [];
 *   for (let chunk = await conn.recv(1024); chunk.length > 0; chunk = await conn.recv(1024)) chunks.push(chunk);
 *   await conn.sendall(Buffer.concat(chunks));
 * });
 * await echo.start();
 * const sock = await create_connection(['127.0.0.1', echo.serverPort]);
 * await sock.sendall(Buffer.from('ping'));
 * sock.shutdown(SHUT_WR); // the peer reads EOF; its reply can still arrive
 * console.log((await sock.recv(1024)).toString()); // ping
 * sock.close();
 * await echo.stop();
 * ```
 */
export const SHUT_RD = 0;
/** `shutdown` mode: stop writing (the peer reads EOF). */
export const SHUT_WR = 1;
/** `shutdown` mode: stop reading and writing. */
export const SHUT_RDWR = 2;

/**
 * `setsockopt`/`getsockopt` level of the socket's own options (`SO_*`); `IPPROTO_TCP` is the level
 * of `TCP_NODELAY`. The values are Linux's, as Python's socket module has them there.
 *
 * @example
 * ```ts runnable
 * import { IPPROTO_TCP, SOL_SOCKET, SO_KEEPALIVE, TCP_NODELAY, TcpSocket } from 'nodevent/net';
 * const sock = new TcpSocket();
 * sock.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1); // applied once it connects
 * sock.setsockopt(SOL_SOCKET, SO_KEEPALIVE, true);
 * console.log(sock.getsockopt(IPPROTO_TCP, TCP_NODELAY)); // 1
 * sock.close();
 * ```
 */
export const SOL_SOCKET = 1;
/** Socket option: `bind` may take a local address still in TIME_WAIT (Node's TCP listeners always do). */
export const SO_REUSEADDR = 2;
/** Socket option: a UDP socket may send to a broadcast address. */
export const SO_BROADCAST = 6;
/** Socket option: TCP keep-alive probes on an idle connection. */
export const SO_KEEPALIVE = 9;
/** TCP option (level `IPPROTO_TCP`): small segments go out at once, without Nagle's delay. */
export const TCP_NODELAY = 1;
