// The error a Redis client gives when its first connection cannot be made. Kept apart from the
// clients (no import of 'redis' or 'ioredis' here): nodevent/redis and nodevent/bullmq both raise
// it, and loading one must not load the other's client library.

/**
 * A Redis server could not be reached within the connect time: refused (`ECONNREFUSED`), no
 * answer (`ETIMEDOUT`), no such host (`ENOTFOUND`), … `code` is the last failure's code and `url`
 * the server's URL (its password, if any, replaced by `***`). Raised only for the first connection
 * of a client: once it was connected, a server that goes away is waited for (reconnects).
 *
 * @example
 * ```ts runnable
 * import { RedisQueue, RedisConnectionError } from 'nodevent/redis';
 * const q = new RedisQueue('jobs', { url: 'redis://127.0.0.1:1', connectTimeout: 1 });
 * try {
 *   await q.put('x');
 * } catch (error) {
 *   if (error instanceof RedisConnectionError) console.error(error.code, error.url); // ECONNREFUSED redis://127.0.0.1:1
 * } finally {
 *   await q.close();
 * }
 * ```
 */
export class RedisConnectionError extends Error {
  /** The failure's code: `ECONNREFUSED`, `ETIMEDOUT`, `ENOTFOUND`, … */
  readonly code: string;
  /** The server's URL, without its password. */
  readonly url: string;

  constructor(url: string, cause: unknown, seconds: number) {
    const code = errorCode(cause);
    const shown = redactUrl(url);
    const detail = cause instanceof Error && cause.message !== '' ? cause.message : code;
    super(`cannot connect to Redis at ${shown}: ${code} (${detail}); gave up after ${seconds} s`, { cause });
    this.name = 'RedisConnectionError';
    this.code = code;
    this.url = shown;
  }
}

/** The code of a connection failure: the errno code when there is one (an AggregateError's first). */
export function errorCode(error: unknown): string {
  const err = error as { code?: unknown; errors?: unknown[]; name?: unknown; constructor?: { name?: string } } | null;
  if (err !== null && typeof err === 'object') {
    if (typeof err.code === 'string' && err.code !== '') return err.code;
    if (Array.isArray(err.errors) && err.errors.length > 0) return errorCode(err.errors[0]);
    // node-redis's own errors carry no errno code, nor even a name of their own.
    const kind = err.name === 'Error' ? err.constructor?.name : err.name;
    if (kind === 'ConnectionTimeoutError') return 'ETIMEDOUT';
    if (kind === 'SocketClosedUnexpectedlyError') return 'ECONNRESET';
    if (typeof kind === 'string' && kind !== '') return kind;
  }
  // No failure seen at all: the connect time ran out first.
  return error === undefined ? 'ETIMEDOUT' : String(error);
}

/** `url` with its password replaced by `***`: error messages end up in logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === '') return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
