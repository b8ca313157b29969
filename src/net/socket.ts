import { invalidArgType, secondsToMs } from '../internal/validate.js';
import { nodeHost, validateAddress, type Address } from './address.js';
import { isAbortReason } from './block.js';
import { AF_INET, AF_INET6, SOCK_DGRAM, SOCK_STREAM } from './constants.js';
import { getaddrinfo } from './resolver.js';
import { TcpSocket } from './tcp.js';
import { UdpSocket } from './udp.js';

/**
 * Python's `socket.socket(family, type)`: a green `TcpSocket` for `SOCK_STREAM` (default) or a
 * `UdpSocket` for `SOCK_DGRAM`, owned by the calling greenlet.
 *
 * @example
 * ```ts
 * import { AF_INET, SOCK_DGRAM, socket } from 'nodevent/net';
 * const server = socket(AF_INET, SOCK_DGRAM);
 * await server.bind(['localhost', 6789]);
 * const [data, client] = await server.recvfrom(4096);
 * await server.sendto(Buffer.from('Are you talking to me?'), client);
 * server.close();
 * ```
 */
export function socket(family?: number, type?: typeof SOCK_STREAM): TcpSocket;
/**
 * `socket(family, SOCK_DGRAM)`: a green `UdpSocket`.
 *
 * @example
 * ```ts runnable
 * import { AF_INET6, SOCK_DGRAM, socket } from 'nodevent/net';
 * const udp = socket(AF_INET6, SOCK_DGRAM);
 * ```
 */
export function socket(family: number, type: typeof SOCK_DGRAM): UdpSocket;
/**
 * `socket(family, type)` with a type known only at run time: a `TcpSocket` or a `UdpSocket`.
 *
 * @example
 * ```ts runnable
 * import { AF_INET, SOCK_DGRAM, SOCK_STREAM, socket } from 'nodevent/net';
 * const useUdp = process.argv.includes('--udp');
 * const sock = socket(AF_INET, useUdp ? SOCK_DGRAM : SOCK_STREAM);
 * ```
 */
export function socket(family: number, type: number): TcpSocket | UdpSocket;
export function socket(family: number = AF_INET, type: number = SOCK_STREAM): TcpSocket | UdpSocket {
  if (family !== AF_INET && family !== AF_INET6) throw invalidArgType('family', 'AF_INET or AF_INET6', family);
  if (type === SOCK_STREAM) return new TcpSocket({ family });
  if (type === SOCK_DGRAM) return new UdpSocket({ family });
  throw invalidArgType('type', 'SOCK_STREAM or SOCK_DGRAM', type);
}

/** Options of `createConnection`. */
export interface CreateConnectionOptions {
  /** Seconds for the connect and, afterwards, every operation of the socket. @default getdefaulttimeout() */
  timeout?: number | null;
  /** Local `[host, port]` to connect from. */
  sourceAddress?: Address;
}

/**
 * Python's `socket.create_connection`: resolves `[host, port]` (both families) and tries each
 * address in turn until one connects; rejects with the last error.
 *
 * @example
 * ```ts runnable
 * import { StreamServer, createConnection } from 'nodevent/net';
 * const server = new StreamServer(['127.0.0.1', 0], (sock) => sock.sendall(Buffer.from('hello\n')));
 * await server.start();
 * // Each address of the host in turn, each attempt within the timeout.
 * const sock = await createConnection(['localhost', server.serverPort], { timeout: 5 });
 * console.log((await sock.readline()).toString()); // hello
 * sock.close();
 * await server.stop();
 * ```
 */
export async function createConnection(address: Address, options: CreateConnectionOptions = {}): Promise<TcpSocket> {
  const [host, port] = validateAddress(address);
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'an object', options);
  secondsToMs(options.timeout, 'options.timeout');
  const source = options.sourceAddress === undefined ? undefined : validateAddress(options.sourceAddress, 'options.sourceAddress');
  const infos = await getaddrinfo(host, port, { type: SOCK_STREAM });
  let lastError: unknown;
  for (const [family, , , , address] of infos) {
    const sock = new TcpSocket({ family, timeout: options.timeout });
    try {
      if (source !== undefined) await sock.bind(source);
      await sock._connectAddress(nodeHost(address), port);
      return sock;
    } catch (error) {
      sock.close();
      lastError = error;
      // The caller's kill or deadline ends the attempts; a refusal or a socket timeout tries the
      // next address (also in a greenlet that caught its kill earlier and carries on).
      if (isAbortReason(error)) throw error;
    }
  }
  throw lastError;
}

/**
 * Python's spelling of `createConnection`.
 *
 * @example
 * ```ts
 * import { create_connection } from 'nodevent/net';
 * const sock = await create_connection(['localhost', 6789], { timeout: 5 });
 * ```
 */
export const create_connection = createConnection;
