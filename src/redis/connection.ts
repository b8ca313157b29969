import { createHash } from 'node:crypto';
import { createClient, ErrorReply, ClientClosedError, ReconnectStrategyError } from 'redis';
import { outsideScope } from '../runtime/scope.js';
import { rawSetTimeout } from '../internal/timers.js';
import { invalidArgType, outOfRange, secondsToMs } from '../internal/validate.js';
import { RedisConnectionError } from './errors.js';

// The plumbing shared by RedisQueue and RedisPubSub: one client per object, created outside every
// scope (it is shared machinery, not owned by the greenlet that first used it), commands sent as
// plain arrays so the reply types stay ours, Lua scripts by SHA with a fallback to EVAL.

export type Client = ReturnType<typeof createClient>;

/**
 * Connection options shared by RedisQueue and RedisPubSub.
 *
 * @example
 * ```ts runnable
 * import { RedisPubSub, type ConnectionOptions } from 'nodevent/redis';
 * const options: ConnectionOptions = { url: 'redis://127.0.0.1:6379', connectTimeout: 2 };
 * const bus = new RedisPubSub(options);
 * ```
 */
export interface ConnectionOptions {
  /** The server's URL (`redis://` or `rediss://`). @default process.env.REDIS_URL or 'redis://127.0.0.1:6379' */
  url?: string;
  /**
   * Seconds a client's first connection may take, retries included. Past it the command that
   * needed the connection rejects with a `RedisConnectionError` (a refused or unreachable server
   * is an error, not a hang). Once connected, a server that goes away is waited for: the client
   * reconnects and commands are sent again.
   * @default 5
   */
  connectTimeout?: number;
}

/** The checked connection options: the URL and the first connection's time limit in ms. */
export interface Connection {
  url: string;
  connectMs: number;
}

export function validateConnection(options: ConnectionOptions): Connection {
  let url = options.url;
  if (url === undefined) url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  else if (typeof url !== 'string') throw invalidArgType('options.url', 'of type string', url);
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = '';
  }
  if (protocol !== 'redis:' && protocol !== 'rediss:') {
    throw invalidArgType(options.url === undefined ? 'REDIS_URL' : 'options.url', 'a redis:// or rediss:// URL', url);
  }
  const connectMs = secondsToMs(options.connectTimeout ?? 5, 'options.connectTimeout', false)!;
  if (connectMs < 10) throw outOfRange('options.connectTimeout', 'at least 0.01 seconds', options.connectTimeout);
  return { url, connectMs };
}

const backoff = (retries: number): number => Math.min(50 * 2 ** retries, 500);

/**
 * Creates a client. It keeps reconnecting once it was connected; before that it retries for
 * `connectMs` and then gives up with a `RedisConnectionError`. `reconnect: false` is for dedicated
 * blocking connections, which are thrown away on the first error instead.
 */
export function newClient({ url, connectMs }: Connection, reconnect = true): Client {
  return outsideScope(() => {
    let connected = false;
    const started = Date.now();
    const client = createClient({
      url,
      socket: {
        // One attempt never outlasts the whole allowance (node-redis waits 5 s by default).
        connectTimeout: Math.min(connectMs, 5000),
        reconnectStrategy: (retries: number, cause: Error) => {
          if (!reconnect) return false;
          // node-redis consults the strategy a second time with the error it made of our answer.
          if (cause instanceof ReconnectStrategyError && cause.originalError instanceof RedisConnectionError) {
            return cause.originalError;
          }
          if (!connected && Date.now() - started + backoff(retries) > connectMs) {
            return new RedisConnectionError(url, cause, connectMs / 1000);
          }
          return backoff(retries);
        },
      },
    });
    client.on('ready', () => { connected = true; });
    // Without a listener an 'error' event would crash the process; failures reach the caller as
    // rejected commands and are retried there.
    client.on('error', () => {});
    return client;
  });
}

/** Connects `client`; a first connection that ran out of time rejects with its `RedisConnectionError`. */
export async function connectClient(client: Client): Promise<Client> {
  try {
    await client.connect();
  } catch (error) {
    if (error instanceof ReconnectStrategyError && error.originalError instanceof RedisConnectionError) throw error.originalError;
    throw error;
  }
  return client;
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => rawSetTimeout(resolve, ms));

/** Errors after which the same command may be sent again: the connection, not the command, failed. */
export function retryable(error: unknown): boolean {
  if (error instanceof ClientClosedError || error instanceof RedisConnectionError) return false;
  if (error instanceof ErrorReply) return /^(LOADING|BUSY|TRYAGAIN|MASTERDOWN)/.test(error.message);
  return error instanceof Error;
}

/** A Lua script sent by SHA1, loaded on first use and again after a restart (NOSCRIPT). */
export class Script {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: Client, keys: string[], args: (string | number)[]): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args.map(String)];
    try {
      return await client.sendCommand(['EVALSHA', this.sha, ...tail]);
    } catch (error) {
      if (!(error instanceof ErrorReply) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.sendCommand(['EVAL', this.source, ...tail]);
    }
  }
}
