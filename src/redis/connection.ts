import { createHash } from 'node:crypto';
import { createClient, ErrorReply, ClientClosedError } from 'redis';
import { outsideScope } from '../runtime/scope.js';
import { rawSetTimeout } from '../runtime/timers.js';
import { invalidArgType } from '../runtime/validate.js';

// The plumbing shared by RedisQueue and RedisPubSub: one client per object, created outside every
// scope (it is shared machinery, not owned by the greenlet that first used it), commands sent as
// plain arrays so the reply types stay ours, Lua scripts by SHA with a fallback to EVAL.

export type Client = ReturnType<typeof createClient>;

/** Connection options shared by RedisQueue and RedisPubSub. */
export interface ConnectionOptions {
  /** The server's URL. @default process.env.REDIS_URL or 'redis://127.0.0.1:6379' */
  url?: string;
}

export function validateUrl(url: unknown): string {
  if (url === undefined) return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (typeof url !== 'string') throw invalidArgType('options.url', 'of type string', url);
  return url;
}

/**
 * Creates a client that reconnects by itself. `reconnect: false` is for dedicated blocking
 * connections, which are thrown away on the first error instead.
 */
export function newClient(url: string, reconnect = true): Client {
  return outsideScope(() => {
    const client = createClient({
      url,
      socket: { reconnectStrategy: reconnect ? (retries: number) => Math.min(50 * 2 ** retries, 500) : false },
    });
    // Without a listener an 'error' event would crash the process; failures reach the caller as
    // rejected commands and are retried there.
    client.on('error', () => {});
    return client;
  });
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => rawSetTimeout(resolve, ms));

/** Errors after which the same command may be sent again: the connection, not the command, failed. */
export function retryable(error: unknown): boolean {
  if (error instanceof ClientClosedError) return false;
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
