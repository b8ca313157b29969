import { RedisConnectionError } from '../redis/errors.js';
import { rawClearTimeout, rawSetTimeout } from '../internal/timers.js';
import { invalidArgType, outOfRange, secondsToMs } from '../internal/validate.js';

/**
 * Options of `waitUntilReady`.
 *
 * @example
 * ```ts
 * import { Queue } from 'bullmq';
 * import { waitUntilReady, type WaitUntilReadyOptions } from 'nodevent/bullmq';
 * const options: WaitUntilReadyOptions = { timeout: 2 };
 * const queue = await waitUntilReady(new Queue('dishes', { connection: { host: '127.0.0.1', port: 6379 } }), options);
 * ```
 */
export interface WaitUntilReadyOptions {
  /** Seconds to wait for the connection. @default 5 */
  timeout?: number;
}

/**
 * What `waitUntilReady` needs of a BullMQ Worker, Queue, QueueEvents or FlowProducer.
 *
 * @example
 * ```ts
 * import { QueueEvents } from 'bullmq';
 * import type { Connectable } from 'nodevent/bullmq';
 * const events: Connectable = new QueueEvents('dishes', { connection: { host: '127.0.0.1', port: 6379 } });
 * ```
 */
export interface Connectable {
  waitUntilReady(): Promise<unknown>;
  close(force?: boolean): Promise<unknown>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
  readonly opts?: { connection?: unknown };
}

interface RedisOptions {
  host?: string;
  port?: number;
  path?: string;
  username?: string;
  password?: string;
  db?: number;
  tls?: unknown;
  url?: string;
}

/** The URL of a BullMQ `connection` option: ioredis options, an ioredis client, or `{ url }`. */
export function connectionUrl(connection: unknown): string {
  const client = connection as { options?: RedisOptions } | null | undefined;
  const o: RedisOptions = (client?.options ?? connection ?? {}) as RedisOptions;
  if (typeof o.url === 'string') return o.url;
  if (typeof o.path === 'string') return `unix://${o.path}`;
  const url = new URL(`${o.tls ? 'rediss' : 'redis'}://localhost`);
  const host = o.host ?? '127.0.0.1';
  url.hostname = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  url.port = String(o.port ?? 6379);
  if (o.username) url.username = o.username;
  if (o.password) url.password = o.password;
  if (o.db) url.pathname = `/${o.db}`;
  return url.toString().replace(/\/$/, '');
}

/**
 * BullMQ's `waitUntilReady()` with a deadline: resolves `target` once its Redis connection is up,
 * or closes `target` and rejects with a `RedisConnectionError` (the last connection error's code,
 * such as `ECONNREFUSED`, and the server's URL) when it is not up within `timeout` seconds. Left
 * alone, a BullMQ object pointed at an unreachable Redis retries forever, and a Worker's `close()`
 * then never resolves.
 *
 * @example
 * ```ts
 * import { Worker } from 'bullmq';
 * import { greenletProcessor, waitUntilReady } from 'nodevent/bullmq';
 * const worker = await waitUntilReady(new Worker('dishes', greenletProcessor(async (job) => job.data), {
 *   connection: { host: '127.0.0.1', port: 6379 },
 * }), { timeout: 2 });
 * ```
 */
export async function waitUntilReady<T extends Connectable>(target: T, options: WaitUntilReadyOptions = {}): Promise<T> {
  if (target === null || typeof target !== 'object' || typeof target.waitUntilReady !== 'function') {
    throw invalidArgType('target', 'a BullMQ Worker, Queue, QueueEvents or FlowProducer', target);
  }
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  const ms = secondsToMs(options.timeout ?? 5, 'options.timeout', false)!;
  if (ms === 0) throw outOfRange('options.timeout', 'more than 0 seconds', options.timeout);
  let lastError: unknown;
  const onError = (error: Error): void => { lastError = error; };
  target.on('error', onError);
  let timer: NodeJS.Timeout | undefined;
  try {
    const expired = Symbol('expired');
    const outcome = await Promise.race([
      target.waitUntilReady().then(() => undefined, (error: unknown) => error ?? new Error('connection failed')),
      new Promise<typeof expired>((resolve) => { timer = rawSetTimeout(() => resolve(expired), ms); }),
    ]);
    if (outcome === undefined) return target;
    const error = new RedisConnectionError(connectionUrl(target.opts?.connection), outcome === expired ? lastError : outcome, ms / 1000);
    // Unconnected, it would retry for ever; close(true) because a Worker's plain close() waits for
    // a connection that never comes.
    await target.close(true).catch(() => {});
    throw error;
  } finally {
    rawClearTimeout(timer);
    target.off('error', onError);
  }
}
