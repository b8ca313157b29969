import { ShutDown } from '../runtime/queue-errors.js';
import { currentScope, outsideScope, type ScopeResource, type Scope } from '../runtime/scope.js';
import { SimpleQueue } from '../runtime/simplequeue.js';
import { invalidArgType } from '../internal/validate.js';
import { resolveCodec, type Codec, type CodecOption } from './codec.js';
import { connectClient, newClient, validateConnection, type Client, type Connection, type ConnectionOptions } from './connection.js';

/** Options of `RedisPubSub`. */
export interface RedisPubSubOptions extends ConnectionOptions {
  /**
   * How messages are encoded: 'json', 'string', 'bytes' or `{ encode, decode }`. With 'json', a
   * received message that is not JSON (sent by another program) is delivered as the raw string.
   * @default 'json'
   */
  codec?: CodecOption;
}

/** One received message. */
export interface PubSubMessage<T> {
  /** The channel it was published on. */
  topic: string;
  message: T;
  /** The pattern that matched, for `psubscribe`. */
  pattern?: string;
}

/**
 * A live subscription: an async iterator of messages, with its own connection. It ends (the loop
 * leaves normally) when `close()` is called or when the loop breaks. When the greenlet that
 * subscribed is killed, the subscription is closed with it (it is owned by its scope, so the
 * connection never outlives it), and that greenlet's loop rejects with the kill.
 *
 * @example
 * ```ts runnable
 * import { RedisPubSub } from 'nodevent/redis';
 * const bus = new RedisPubSub<string>({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
 * const sub = await bus.subscribe('news');
 * await bus.publish('news', 'stop');
 * for await (const { message } of sub) if (message === 'stop') break; // ends the subscription
 * await bus.close();
 * ```
 */
export class Subscription<T = unknown> implements AsyncIterable<PubSubMessage<T>>, ScopeResource {
  /** The channels or patterns subscribed to. */
  readonly topics: readonly string[];
  #client: Client;
  // Messages wait here for `next()`, and `next()` for messages: a waiter that is killed leaves the
  // line with its kill, and the message goes to the next one. Shut down by `close()`.
  #messages = new SimpleQueue<PubSubMessage<T>>();
  #closed = false;
  // Closed by its owner's abort (a kill, a deadline), not by close() or a break.
  #disposed = false;
  #scope: Scope | undefined;

  /** @internal */
  constructor(client: Client, topics: string[], scope: Scope | undefined) {
    this.#client = client;
    this.topics = Object.freeze([...topics]);
    this.#scope = scope;
  }

  /** True once the subscription ended. */
  get closed(): boolean {
    return this.#closed;
  }

  /** @internal */
  _push(message: PubSubMessage<T>): void {
    if (!this.#closed) this.#messages.putNowait(message);
  }

  /** Ends the subscription and closes its connection; waiting loops end. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#scope?.disown(this);
    // A client whose first connection failed is closed already, and destroy() would throw.
    if (this.#client.isOpen) this.#client.destroy();
    this.#messages.shutdown({ immediate: true });
  }

  /** The owning scope aborted: the subscription ends with it. */
  dispose(): void {
    this.#disposed = true;
    this.close();
  }

  /**
   * The next message; `{ done: true }` once closed. A greenlet killed (or timed out) while it
   * waits rejects with its kill (or the Timeout) and takes no message.
   */
  async next(): Promise<IteratorResult<PubSubMessage<T>>> {
    try {
      return { value: await this.#messages.get(), done: false };
    } catch (error) {
      if (error instanceof ShutDown) {
        // Ended by the kill (or deadline) of the greenlet waiting here: its wait rejects with that,
        // as every wait of a killed greenlet does, so no code after its loop runs. Any other
        // reader sees the iteration end.
        const scope = currentScope();
        if (this.#disposed && scope?.aborted) throw scope.reason;
        return { value: undefined, done: true };
      }
      throw error;
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<PubSubMessage<T>> {
    return {
      next: () => this.next(),
      return: async () => {
        this.close();
        return { value: undefined, done: true };
      },
    };
  }
}

function validateTopics(topics: unknown[], name: string): string[] {
  if (topics.length === 0) throw invalidArgType(name, 'at least one string', undefined);
  for (const topic of topics) {
    if (typeof topic !== 'string' || topic === '') throw invalidArgType(name, 'non-empty strings', topic);
  }
  return topics as string[];
}

/**
 * Publish/subscribe over Redis, the chapter's cats and hats: `publish(topic, message)` sends a copy
 * to every current subscriber of `topic`; `subscribe(...topics)` and `psubscribe(...patterns)`
 * resolve a `Subscription` to iterate with `for await`. Like Redis pub/sub itself this is
 * broadcast, fire and forget: a message published while nobody subscribes is gone.
 *
 * @example
 * ```ts runnable
 * import { Event, spawn } from 'nodevent';
 * import { RedisPubSub } from 'nodevent/redis';
 * const bus = new RedisPubSub<string>({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
 * const subscribed = new Event();
 * const received = new Event();
 * const g = spawn(async () => {
 *   const subscription = await bus.subscribe('maine coon', 'persian'); // owned by this greenlet
 *   subscribed.set();
 *   for await (const { topic, message } of subscription) {
 *     console.log(`${topic} wears a ${message}`);
 *     received.set();
 *   }
 * });
 * await subscribed.wait(); // a message published before the subscription exists is lost
 * await bus.publish('persian', 'bowler');
 * await received.wait();
 * await g.kill(); // the subscription's connection closes with the greenlet
 * await bus.close();
 * ```
 */
export class RedisPubSub<T = unknown> {
  #connection: Connection;
  #codec: Codec<T>;
  #client: Client | null = null;
  #connecting: Promise<Client> | null = null;
  #subscriptions = new Set<Subscription<T>>();
  #closed = false;

  constructor(options: RedisPubSubOptions = {}) {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    this.#connection = validateConnection(options);
    this.#codec = resolveCodec(options.codec, 'options.codec');
  }

  async #publisher(): Promise<Client> {
    if (this.#closed) throw new Error('RedisPubSub is closed');
    if (this.#client !== null) return this.#client;
    // Outside the caller's scope: the publishing connection is shared, and under patchAll its
    // socket would otherwise belong to whichever greenlet published first.
    return (this.#connecting ??= outsideScope(async () => {
      this.#client = await connectClient(newClient(this.#connection));
      return this.#client;
    }).finally(() => { this.#connecting = null; }));
  }

  #decode(data: string): T {
    try {
      return this.#codec.decode(data);
    } catch {
      return data as T; // not in our encoding: another program published it
    }
  }

  /**
   * Publishes `message` on `topic`; resolves the number of subscribers that received it. The
   * message is encoded first: one the codec cannot represent rejects with a TypeError, unsent.
   */
  async publish(topic: string, message: T): Promise<number> {
    if (typeof topic !== 'string' || topic === '') throw invalidArgType('topic', 'a non-empty string', topic);
    const data = this.#codec.encode(message, 'message');
    const client = await this.#publisher();
    return Number(await client.sendCommand(['PUBLISH', topic, data]));
  }

  /** Subscribes to channels; resolves once Redis confirmed, so nothing published after is missed. */
  async subscribe(...topics: string[]): Promise<Subscription<T>> {
    return this.#open(validateTopics(topics, 'topics'), false);
  }

  /** Subscribes to glob-style patterns (`cat:*`); messages carry the matched `pattern`. */
  async psubscribe(...patterns: string[]): Promise<Subscription<T>> {
    return this.#open(validateTopics(patterns, 'patterns'), true);
  }

  async #open(topics: string[], pattern: boolean): Promise<Subscription<T>> {
    if (this.#closed) throw new Error('RedisPubSub is closed');
    const scope = currentScope();
    if (scope?.aborted) throw scope.reason;
    // Its own connection: a subscribed connection can do nothing else, and it is owned by the
    // subscribing greenlet, so killing the greenlet closes it.
    const client = newClient(this.#connection);
    const subscription = new Subscription<T>(client, topics, scope);
    scope?.own(subscription);
    this.#subscriptions.add(subscription);
    try {
      await connectClient(client);
      if (pattern) {
        await client.pSubscribe(topics, (data: string, channel: string) => {
          subscription._push({ topic: channel, message: this.#decode(data), pattern: matchOf(topics, channel) });
        });
      } else {
        await client.subscribe(topics, (data: string, channel: string) => {
          subscription._push({ topic: channel, message: this.#decode(data) });
        });
      }
    } catch (error) {
      subscription.close();
      this.#subscriptions.delete(subscription);
      throw subscription.closed && scope?.aborted ? scope.reason : error;
    }
    if (subscription.closed) {
      this.#subscriptions.delete(subscription);
      throw scope?.aborted ? scope.reason : new Error('subscription closed');
    }
    return subscription;
  }

  /** Closes the publishing connection and every subscription made through this object. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const subscription of this.#subscriptions) subscription.close();
    this.#subscriptions.clear();
    const client = this.#client ?? (this.#connecting !== null ? await this.#connecting.catch(() => null) : null);
    client?.destroy();
    this.#client = null;
  }
}

/** The pattern (of those subscribed) that matches `channel`: node-redis hands the listener only the channel. */
function matchOf(patterns: string[], channel: string): string | undefined {
  return patterns.find((p) => globToRegExp(p).test(channel));
}

function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else if (ch === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end === -1) source += '\\[';
      else {
        const body = glob.slice(i + 1, end);
        source += `[${body.startsWith('^') ? `^${body.slice(1)}` : body}]`;
        i = end;
      }
    } else if (ch === '\\' && i + 1 < glob.length) source += `\\${glob[++i]}`;
    else source += ch.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}
