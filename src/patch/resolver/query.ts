import dns from 'node:dns';
import pLimit, { type LimitFunction } from 'p-limit';
import { outsideScope } from '../../runtime/scope.js';

/** One DNS question's outcome: addresses, or a c-ares error code (ENOTFOUND, ENODATA, ETIMEOUT, ...). */
export type QueryOutcome = { addresses: string[]; code?: undefined } | { addresses?: undefined; code: string };

/** Options of `CaresQueries`. */
export interface QueryOptions {
  /** Questions in flight at once; the rest wait in a FIFO. @default 1024 */
  concurrency?: number;
  /** c-ares channels (each with its own UDP socket) the questions are spread over. @default 8 */
  channels?: number;
  /** Keep answers for their TTL (the smallest TTL of the answer). @default false */
  cache?: boolean;
  /** The servers to ask; read for every question so `dns.setServers()` applies. */
  servers?: () => string[];
}

// Taken at load, before the dns patch makes Resolver methods cancellable: a shared question must
// not be owned by the greenlet that happened to ask it first.
const { resolve4, resolve6 } = dns.Resolver.prototype;

interface Flight {
  promise: Promise<QueryOutcome>;
  waiters: number;
}

/**
 * A and AAAA questions over one c-ares `dns.Resolver`: identical questions in flight are asked
 * once (coalesced), at most `concurrency` are in flight (c-ares fired 10,000 at a time overflows
 * the socket buffers and loses answers), and with `cache` an answer is reused until its TTL ends.
 * A question every asker gave up on before it started is never sent.
 */
export class CaresQueries {
  // Several channels, not one: answers to a burst of questions arrive in a burst, and one socket's
  // receive buffer overflows (answers lost, a 5 s c-ares retry) well before the cap is reached.
  #resolvers: dns.Resolver[];
  #next = 0;
  readonly #limit: LimitFunction;
  readonly #inflight = new Map<string, Flight>();
  readonly #cache: Map<string, { expires: number; addresses: string[] }> | undefined;
  readonly #servers: (() => string[]) | undefined;
  #serversKey = '';

  constructor(options: QueryOptions = {}) {
    this.#resolvers = CaresQueries.#channels(options.channels ?? 8);
    this.#limit = pLimit(options.concurrency ?? 1024);
    this.#cache = options.cache === true ? new Map() : undefined;
    this.#servers = options.servers;
  }

  /** Asks `type` for `name`. Call `release()` when no longer interested (done or cancelled). */
  ask(name: string, type: 'A' | 'AAAA'): { promise: Promise<QueryOutcome>; release(): void } {
    const key = `${type} ${name.toLowerCase()}`;
    const cached = this.#cache?.get(key);
    if (cached !== undefined) {
      if (cached.expires > Date.now()) return { promise: Promise.resolve({ addresses: cached.addresses }), release() {} };
      this.#cache!.delete(key);
    }
    let flight = this.#inflight.get(key);
    if (flight === undefined) {
      const created: Flight = { waiters: 0, promise: undefined as unknown as Promise<QueryOutcome> };
      created.promise = outsideScope(() => this.#limit(() => (created.waiters > 0 ? this.#send(name, type, key) : { code: 'ECANCELLED' })));
      void created.promise.finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, created);
      flight = created;
    }
    const f = flight;
    f.waiters++;
    let released = false;
    return { promise: f.promise, release: () => { if (!released) { released = true; f.waiters--; } } };
  }

  #send(name: string, type: 'A' | 'AAAA', key: string): Promise<QueryOutcome> {
    if (this.#servers !== undefined) {
      const servers = this.#servers();
      const serversKey = servers.join(',');
      if (serversKey !== this.#serversKey) {
        // New channels: c-ares refuses setServers while questions are pending on the old ones.
        const resolvers = CaresQueries.#channels(this.#resolvers.length);
        for (const resolver of resolvers) resolver.setServers(servers);
        this.#resolvers = resolvers;
        this.#serversKey = serversKey;
      }
    }
    return new Promise((resolve) => {
      const done = (err: NodeJS.ErrnoException | null, records: dns.RecordWithTtl[]): void => {
        if (err) { resolve({ code: err.code ?? 'EBADRESP' }); return; }
        const addresses = records.map((r) => r.address);
        if (this.#cache !== undefined && records.length > 0) {
          const ttl = Math.min(...records.map((r) => r.ttl));
          if (ttl > 0) this.#cache.set(key, { expires: Date.now() + ttl * 1000, addresses });
        }
        resolve({ addresses });
      };
      const resolver = this.#resolvers[this.#next++ % this.#resolvers.length]!;
      (type === 'A' ? resolve4 : resolve6).call(resolver, name, { ttl: true }, done as (err: NodeJS.ErrnoException | null, r: unknown) => void);
    });
  }

  static #channels(count: number): dns.Resolver[] {
    return outsideScope(() => Array.from({ length: count }, () => new dns.Resolver()));
  }

  /** Questions waiting for a free slot. */
  get pending(): number {
    return this.#limit.pendingCount;
  }
}
