import { constants as osConstants } from 'node:os';
import util from 'node:util';
// The socket module's exceptions, with Python's names and numbers (Linux values), so code written
// against the chapter's `except socket.gaierror` has a direct counterpart.

const GAI_MESSAGES: Record<number, [code: string, message: string]> = {
  [-1]: ['EAI_BADFLAGS', 'Bad value for ai_flags'],
  [-2]: ['EAI_NONAME', 'Name or service not known'],
  [-3]: ['EAI_AGAIN', 'Temporary failure in name resolution'],
  [-4]: ['EAI_FAIL', 'Non-recoverable failure in name resolution'],
  [-5]: ['EAI_NODATA', 'No address associated with hostname'],
  [-6]: ['EAI_FAMILY', 'ai_family not supported'],
  [-7]: ['EAI_SOCKTYPE', 'ai_socktype not supported'],
  [-8]: ['EAI_SERVICE', 'Servname not supported for ai_socktype'],
  [-9]: ['EAI_ADDRFAMILY', 'Address family for hostname not supported'],
  [-11]: ['EAI_SYSTEM', 'System error'],
};

// `getaddrinfo` error numbers (glibc's values, negative as in Python).
/** `gaierror` errno: invalid `flags`. @example `err instanceof gaierror && err.errno === EAI_BADFLAGS` */
export const EAI_BADFLAGS = -1;
/** `gaierror` errno: the name or service is not known. @example `err instanceof gaierror && err.errno === EAI_NONAME` */
export const EAI_NONAME = -2;
/** `gaierror` errno: temporary failure (retry later). @example `err instanceof gaierror && err.errno === EAI_AGAIN` */
export const EAI_AGAIN = -3;
/** `gaierror` errno: non-recoverable failure of the name server. @example `err instanceof gaierror && err.errno === EAI_FAIL` */
export const EAI_FAIL = -4;
/** `gaierror` errno: the name exists but has no address. @example `err instanceof gaierror && err.errno === EAI_NODATA` */
export const EAI_NODATA = -5;
/** `gaierror` errno: the address family is not supported. @example `err instanceof gaierror && err.errno === EAI_FAMILY` */
export const EAI_FAMILY = -6;
/** `gaierror` errno: the socket type is not supported. @example `err instanceof gaierror && err.errno === EAI_SOCKTYPE` */
export const EAI_SOCKTYPE = -7;
/** `gaierror` errno: the service is not known for the socket type. @example `err instanceof gaierror && err.errno === EAI_SERVICE` */
export const EAI_SERVICE = -8;
/** `gaierror` errno: the host has no address of the family asked (an IPv6 literal asked for IPv4). @example `err instanceof gaierror && err.errno === EAI_ADDRFAMILY` */
export const EAI_ADDRFAMILY = -9;
/** `gaierror` errno: some other system error. @example `err instanceof gaierror && err.errno === EAI_SYSTEM` */
export const EAI_SYSTEM = -11;

/**
 * A name-resolution failure, Python's `socket.gaierror`: `errno` is the EAI number, `code` its
 * name, `hostname` the name that failed. The message reads like Python's plus the host.
 *
 * @example
 * ```ts
 * import { gethostbyname, gaierror, EAI_NONAME } from 'nodevent/net';
 * try { await gethostbyname('no-such-host.invalid'); }
 * catch (err) { if (err instanceof gaierror && err.errno === EAI_NONAME) console.log('unknown host'); }
 * ```
 */
export class gaierror extends Error {
  readonly errno: number;
  readonly code: string;
  readonly strerror: string;
  readonly hostname: string | null;

  constructor(errno: number, hostname: string | null, detail?: string, options?: ErrorOptions) {
    const [code, strerror] = GAI_MESSAGES[errno] ?? ['EAI_SYSTEM', 'System error'];
    const about = detail ?? (hostname === null ? '' : `: '${hostname}'`);
    super(`[Errno ${errno}] ${strerror}${about}`, options);
    this.name = 'gaierror';
    this.errno = errno;
    this.code = code;
    this.strerror = strerror;
    this.hostname = hostname;
  }
}

// `h_errno` values of `herror`.
/** `herror` errno: the host is unknown. @example `err instanceof herror && err.errno === HOST_NOT_FOUND` */
export const HOST_NOT_FOUND = 1;
/** `herror` errno: temporary failure (retry later). @example `err instanceof herror && err.errno === TRY_AGAIN` */
export const TRY_AGAIN = 2;
/** `herror` errno: non-recoverable server failure. @example `err instanceof herror && err.errno === NO_RECOVERY` */
export const NO_RECOVERY = 3;
/** `herror` errno: the name exists but has no address. @example `err instanceof herror && err.errno === NO_DATA` */
export const NO_DATA = 4;

// glibc's hstrerror; 0 is what Python reports when gethostbyname_r failed without setting h_errno.
const H_MESSAGES: Record<number, string> = {
  0: 'Resolver Error 0 (no error)',
  1: 'Unknown host',
  2: 'Host name lookup failure',
  3: 'Unknown server error',
  4: 'No address associated with name',
};

/**
 * A reverse-lookup failure, Python's `socket.herror` (`gethostbyaddr`, `getnameinfo`).
 *
 * @example
 * ```ts
 * import { gethostbyaddr, herror } from 'nodevent/net';
 * try { await gethostbyaddr('192.0.2.1'); } catch (err) { if (err instanceof herror) console.log(err.hostname); }
 * ```
 */
export class herror extends Error {
  readonly errno: number;
  readonly strerror: string;
  readonly hostname: string | null;

  constructor(errno: number, hostname: string | null, options?: ErrorOptions) {
    const strerror = H_MESSAGES[errno] ?? 'Unknown resolver error';
    super(`[Errno ${errno}] ${strerror}${hostname === null ? '' : `: '${hostname}'`}`, options);
    this.name = 'herror';
    this.errno = errno;
    this.strerror = strerror;
    this.hostname = hostname;
  }
}

/**
 * A socket operation outlived the socket's timeout (`settimeout`), Python's `socket.timeout`
 * (`TimeoutError`). The socket stays open: the operation may be retried.
 *
 * @example
 * ```ts runnable
 * import { StreamServer, createConnection, timeout } from 'nodevent/net';
 * const quiet = new StreamServer(['127.0.0.1', 0], async (conn) => void (await conn.recv(1))); // never answers
 * await quiet.start();
 * const sock = await createConnection(['127.0.0.1', quiet.serverPort]);
 * sock.settimeout(0.2);
 * try { await sock.recv(1024); } catch (err) { if (err instanceof timeout) console.log('nothing yet'); }
 * sock.close(); // still open after the timeout: the call may be retried
 * await quiet.stop();
 * ```
 */
export class timeout extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(message = 'timed out') {
    super(message);
    this.name = 'timeout';
  }
}

const BLOCKING_CODES: Record<number, [code: string, strerror: string]> = {
  11: ['EAGAIN', 'Resource temporarily unavailable'],
  114: ['EALREADY', 'Operation already in progress'],
  115: ['EINPROGRESS', 'Operation now in progress'],
};

/**
 * A socket with a timeout of 0 (non-blocking) could not complete at once, Python's `BlockingIOError`.
 * `errno` says why, as in Python: EAGAIN (11, `code` 'EAGAIN') for a call that would have waited
 * and did nothing; EINPROGRESS (115) for a `connect` that was started and goes on in the background;
 * EALREADY (114) for a `connect` while that one is still in progress.
 *
 * @example
 * ```ts runnable
 * import { BlockingIOError, StreamServer, createConnection } from 'nodevent/net';
 * const quiet = new StreamServer(['127.0.0.1', 0], async (conn) => void (await conn.recv(1))); // never answers
 * await quiet.start();
 * const sock = await createConnection(['127.0.0.1', quiet.serverPort]);
 * sock.setblocking(false);
 * try { await sock.recv(1024); } catch (err) { if (err instanceof BlockingIOError) console.log('no data yet'); }
 * sock.close();
 * await quiet.stop();
 * ```
 */
export class BlockingIOError extends Error {
  /** 'EAGAIN', 'EINPROGRESS' or 'EALREADY'. */
  readonly code: string;
  /** 11 (EAGAIN), 115 (EINPROGRESS) or 114 (EALREADY). */
  readonly errno: number;
  readonly strerror: string;
  /** `errno`: 11 (EAGAIN, the default), 114 (EALREADY) or 115 (EINPROGRESS). */
  constructor(message?: string, errno: 11 | 114 | 115 = 11) {
    const [code, strerror] = BLOCKING_CODES[errno] ?? BLOCKING_CODES[11]!;
    super(`[Errno ${errno}] ${message ?? strerror}`);
    this.name = 'BlockingIOError';
    this.code = code;
    this.errno = errno;
    this.strerror = strerror;
  }
}

/**
 * The stream ended before `recvExactly(n)` / `readUntil` got what it needed; `partial` holds the
 * bytes that did arrive (asyncio's `IncompleteReadError`).
 *
 * @example
 * ```ts runnable
 * import { IncompleteReadError, StreamServer, createConnection } from 'nodevent/net';
 * const short = new StreamServer(['127.0.0.1', 0], (conn) => conn.sendall(Buffer.from('ab'))); // then closes
 * await short.start();
 * const sock = await createConnection(['127.0.0.1', short.serverPort]);
 * try { await sock.recvExactly(4); }
 * catch (err) { if (err instanceof IncompleteReadError) console.log(`got ${err.partial.length} of ${err.expected}`); } // got 2 of 4
 * sock.close();
 * await short.stop();
 * ```
 */
export class IncompleteReadError extends Error {
  readonly code = 'ERR_SOCKET_EOF';
  readonly partial: Buffer;
  readonly expected: number | null;
  constructor(partial: Buffer, expected: number | null) {
    super(`${partial.length} bytes read on a total of ${expected ?? 'undefined'} expected bytes: the peer closed the connection`);
    this.name = 'IncompleteReadError';
    this.partial = partial;
    this.expected = expected;
  }
}

/**
 * @internal An OSError as Python words it (`[Errno 107] Transport endpoint is not connected`), with
 * Node's `code`, and its number as `errno`, as Python's (positive; by default the code's number on
 * this system).
 */
export function errnoError(code: string, message: string, errno: number | undefined = (osConstants.errno as Record<string, number | undefined>)[code]): Error {
  return Object.assign(new Error(message), errno === undefined ? { code } : { code, errno });
}

// glibc's strerror for the errors a socket call meets (libuv words some differently: 'address not
// available' for 'Cannot assign requested address').
const STRERROR: Record<number, string> = {
  1: 'Operation not permitted',
  2: 'No such file or directory',
  4: 'Interrupted system call',
  9: 'Bad file descriptor',
  11: 'Resource temporarily unavailable',
  12: 'Cannot allocate memory',
  13: 'Permission denied',
  22: 'Invalid argument',
  23: 'Too many open files in system',
  24: 'Too many open files',
  32: 'Broken pipe',
  88: 'Socket operation on non-socket',
  89: 'Destination address required',
  90: 'Message too long',
  91: 'Protocol wrong type for socket',
  92: 'Protocol not available',
  93: 'Protocol not supported',
  95: 'Operation not supported',
  97: 'Address family not supported by protocol',
  98: 'Address already in use',
  99: 'Cannot assign requested address',
  100: 'Network is down',
  101: 'Network is unreachable',
  102: 'Network dropped connection on reset',
  103: 'Software caused connection abort',
  104: 'Connection reset by peer',
  105: 'No buffer space available',
  106: 'Transport endpoint is already connected',
  107: 'Transport endpoint is not connected',
  108: 'Cannot send after transport endpoint shutdown',
  110: 'Connection timed out',
  111: 'Connection refused',
  112: 'Host is down',
  113: 'No route to host',
  114: 'Operation already in progress',
  115: 'Operation now in progress',
  125: 'Operation canceled',
};

/**
 * @internal A system error from Node (libuv's negative `errno`, a message such as `connect
 * ECONNREFUSED 127.0.0.1:80`) made Python's OSError: the same object, its `errno` positive and its
 * message `[Errno 111] Connection refused`; `code`, `syscall`, `address` and `port` stay. Anything
 * else (an error made here, a kill's reason) is returned as it is.
 */
export function systemError<E>(error: E): E {
  if (!(error instanceof Error)) return error;
  const err = error as NodeJS.ErrnoException;
  if (typeof err.errno !== 'number' || err.errno >= 0 || typeof err.code !== 'string') return error;
  const errno = -err.errno;
  const strerror = STRERROR[errno] ?? (util.getSystemErrorMap().get(err.errno)?.[1] ?? 'Unknown error').replace(/^./, (c) => c.toUpperCase());
  const before = `${err.name}: ${err.message}`;
  err.errno = errno;
  err.message = `[Errno ${errno}] ${strerror}`;
  if (typeof err.stack === 'string' && err.stack.startsWith(before)) err.stack = `${err.name}: ${err.message}${err.stack.slice(before.length)}`;
  return error;
}

/** An operation on a closed socket: Python's `OSError: [Errno 9] Bad file descriptor`. */
export function closedSocketError(): Error {
  const err = new Error('[Errno 9] Bad file descriptor: the socket is closed') as NodeJS.ErrnoException;
  err.code = 'EBADF';
  err.errno = 9;
  return err;
}

/** Alias of `gaierror` for code that prefers class-style names. */
export { gaierror as GaiError, herror as HostError, timeout as SocketTimeout };
