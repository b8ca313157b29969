import dns from 'node:dns';
import { outsideScope } from '../runtime/scope.js';
import { rawSetTimeout } from '../internal/timers.js';
import { Pacing } from './pacing.js';

/** One DNS question's outcome: addresses, or a c-ares error code (ENOTFOUND, ENODATA, ETIMEOUT, ...). */
export type QueryOutcome = { addresses: string[]; code?: undefined } | { addresses?: undefined; code: string };

/** Options of `CaresQueries`. */
export interface QueryOptions {
  /** The largest in-flight window (questions sent and not answered); the window adapts below it. @default 4096 */
  concurrency?: number;
  /** c-ares channels (each with its own UDP socket) the questions are spread over. @default 8 */
  channels?: number;
  /** Keep answers for their TTL (the smallest TTL of the answer). @default false */
  cache?: boolean;
  /** The servers to ask; read before each batch of questions is sent, so `dns.setServers()` applies. */
  servers?: () => string[];
  /**
   * How long, in ms, a question is asked again before it fails with ETIMEOUT: resolv.conf's
   * timeout × attempts, as glibc waits. Read for every question. @default () => 10000
   */
  patience?: () => number;
}

// Taken at load, before the dns patch makes Resolver methods cancellable: a shared question must
// not be owned by the greenlet that happened to ask it first.
const { resolve4, resolve6, cancel } = dns.Resolver.prototype;

type Ttl = { address: string; ttl: number };
const WITH_TTL = { ttl: true } as const;

/** A c-ares channel: one `Resolver` (one socket) and the questions it has in flight. */
interface Channel {
  resolver: dns.Resolver;
  live: Set<Question>;
  doomed: boolean;
  /** The c-ares timeout of this channel, ms. */
  timeout: number;
}

/** Called once with a question's outcome. */
export type OutcomeListener = (outcome: QueryOutcome) => void;

/** One asker of a question: `release()` when no longer interested (done or cancelled). */
export interface Asked {
  release(): void;
}

/** An asker's place on its question; `listener` is cleared by `release()`. */
class Waiter implements Asked {
  constructor(public question: Question | undefined, public listener: OutcomeListener | undefined, readonly owner: CaresQueries) {}
  release(): void {
    const q = this.question;
    if (q === undefined) return;
    this.question = undefined;
    this.listener = undefined;
    if (--q.waiters === 0) this.owner._abandon(q);
  }
}

/** One question (name and type), shared by everyone asking it while it is in flight. */
class Question {
  waiters = 0;
  firstSent = 0;
  sentAt = 0;
  tries = 0;
  channel: Channel | undefined;
  outcome: QueryOutcome | undefined;
  // Listeners, not a promise: an answer reaches its askers without a microtask per layer.
  readonly listeners: Waiter[] = [];
  #promise: Promise<QueryOutcome> | undefined;
  constructor(readonly name: string, readonly type: 'A' | 'AAAA', readonly key: string) {}

  settle(outcome: QueryOutcome): void {
    if (this.outcome !== undefined) return;
    this.outcome = outcome;
    for (const w of this.listeners) {
      const listener = w.listener;
      w.listener = undefined;
      listener?.(outcome);
    }
    this.listeners.length = 0;
  }

  /** The outcome as a promise (made on demand: the lookups listen instead). */
  get promise(): Promise<QueryOutcome> {
    if (this.#promise === undefined) {
      this.#promise = this.outcome !== undefined ? Promise.resolve(this.outcome) : new Promise((resolve) => {
        this.listeners.push(new Waiter(undefined, resolve, undefined as unknown as CaresQueries));
      });
    }
    return this.#promise;
  }
}

const CANCELLED: QueryOutcome = { code: 'ECANCELLED' };
const NOTHING_ASKED: Asked = { release() {} };

/**
 * A and AAAA questions over c-ares channels, sent at the pace the server keeps up with.
 * - Identical questions in flight are asked once (coalesced); with `cache` an answer is reused
 *   until its TTL ends.
 * - An adaptive window (see `Pacing`) caps the questions in flight: it grows while answers come
 *   back and halves on a loss. Loss is a question unanswered after the measured round trip's
 *   retransmission timeout, not resolv.conf's seconds: each c-ares channel is made with that
 *   timeout and one try, and the question is asked again here until `patience` runs out.
 * - A question every asker gave up on is cancelled: never sent if still queued; if in flight, its
 *   channel is cancelled (c-ares has no per-question cancel) and the channel's other questions are
 *   asked again, so no retry nobody waits for holds the process alive.
 */
export class CaresQueries {
  readonly #channelCount: number;
  #channels: Channel[] = [];
  readonly #sets = new Map<number, Channel[]>();
  #next = 0;
  readonly #pacing: Pacing;
  readonly #queue: Question[] = [];
  #queueHead = 0;
  readonly #retries: Question[] = [];
  #inFlight = 0;
  readonly #questions = new Map<string, Question>();
  readonly #cache: Map<string, { expires: number; addresses: string[] }> | undefined;
  readonly #servers: (() => string[]) | undefined;
  #serversKey = '';
  #doomed: Channel[] = [];
  #pumping = false;
  // dns.getServers() builds new arrays: read once per pump, not once per question.
  #checkServers = true;
  /** See `QueryOptions.patience`; settable by the lookup that reads resolv.conf. */
  patience: () => number;
  /** Questions sent again after a timeout (for benchmarks and tests). */
  retransmits = 0;

  constructor(options: QueryOptions = {}) {
    this.#channelCount = options.channels ?? 8;
    this.#pacing = new Pacing({ maxWindow: options.concurrency ?? 4096 });
    this.#cache = options.cache === true ? new Map() : undefined;
    this.#servers = options.servers;
    this.patience = options.patience ?? (() => 10_000);
  }

  /**
   * Asks `type` for `name`; `listener` gets the outcome once (possibly in this call, from the
   * cache). Call `release()` when no longer interested (done or cancelled).
   */
  listen(name: string, type: 'A' | 'AAAA', listener: OutcomeListener): Asked {
    const key = type === 'A' ? `A ${name.toLowerCase()}` : `AAAA ${name.toLowerCase()}`;
    if (this.#cache !== undefined) {
      const cached = this.#cache.get(key);
      if (cached !== undefined) {
        if (cached.expires > Date.now()) {
          listener({ addresses: cached.addresses });
          return NOTHING_ASKED;
        }
        this.#cache.delete(key);
      }
    }
    let q = this.#questions.get(key);
    if (q === undefined) {
      q = new Question(name, type, key);
      this.#questions.set(key, q);
      this.#queue.push(q);
      this.#schedule();
    }
    q.waiters++;
    const waiter = new Waiter(q, listener, this);
    q.listeners.push(waiter);
    return waiter;
  }

  /** `listen`, as a promise of the outcome (the same promise for everyone asking it at once). */
  ask(name: string, type: 'A' | 'AAAA'): { promise: Promise<QueryOutcome>; release(): void } {
    let outcome: QueryOutcome | undefined;
    const asked = this.listen(name, type, (o) => (outcome = o));
    if (outcome !== undefined) return { promise: Promise.resolve(outcome), release() {} };
    return { promise: (asked as Waiter).question!.promise, release: () => asked.release() };
  }

  /** Questions waiting for room in the window. */
  get pending(): number {
    return this.#queue.length - this.#queueHead + this.#retries.length;
  }

  /** Questions sent and not yet answered. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** The pacing state: window, smoothed RTT and retransmission timeout (ms), losses seen. */
  get pacing(): { window: number; srtt: number; rto: number; losses: number } {
    const p = this.#pacing;
    return { window: Math.floor(p.window), srtt: p.srtt, rto: p.rto, losses: p.losses };
  }

  #finish(q: Question, outcome: QueryOutcome): void {
    if (this.#questions.get(q.key) === q) this.#questions.delete(q.key);
    q.settle(outcome);
  }

  /** @internal The last asker of `q` released it. */
  _abandon(q: Question): void {
    // Nobody waits: a queued question is dropped when its turn comes; one in flight is cancelled
    // with its channel, once the current turn has released everything it will release.
    if (this.#questions.get(q.key) === q) this.#questions.delete(q.key);
    const channel = q.channel;
    if (channel === undefined || channel.doomed) return;
    channel.doomed = true;
    this.#doomed.push(channel);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    queueMicrotask(() => {
      this.#pumping = false;
      outsideScope(() => this.#pump());
    });
  }

  #pump(): void {
    this.#checkServers = true;
    if (this.#doomed.length > 0) {
      const doomed = this.#doomed;
      this.#doomed = [];
      for (const channel of doomed) {
        // Only when no one waits for any of its questions would cancelling cost nothing; when some
        // still do, they are asked again (cancel() answers them ECANCELLED, handled in #send).
        if ([...channel.live].some((q) => q.waiters === 0)) cancel.call(channel.resolver);
        channel.doomed = false;
      }
    }
    const window = this.#pacing.window;
    while (this.#inFlight < window) {
      let q: Question | undefined;
      if (this.#retries.length > 0) q = this.#retries.shift();
      else if (this.#queueHead < this.#queue.length) {
        q = this.#queue[this.#queueHead]!;
        this.#queue[this.#queueHead++] = undefined as unknown as Question;
        if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
          this.#queue.splice(0, this.#queueHead);
          this.#queueHead = 0;
        }
      } else break;
      if (q!.waiters === 0) { this.#finish(q!, CANCELLED); continue; }
      this.#send(q!);
    }
  }

  #channel(): Channel {
    const rto = this.#pacing.rto;
    let serversChanged = false;
    let servers: string[] | undefined;
    if (this.#servers !== undefined && this.#checkServers) {
      this.#checkServers = false;
      servers = this.#servers();
      const key = servers.join(',');
      if (key !== this.#serversKey) { this.#serversKey = key; serversChanged = true; }
    }
    // c-ares refuses setServers with questions pending: new servers, new channels (the old ones
    // finish what they have in flight). The timeout is fixed per channel: one set of channels per
    // step of √2 (250 ms, 354 ms, 500 ms, ...), reused, so a moving RTT opens no new sockets.
    if (serversChanged) this.#sets.clear();
    const step = Math.ceil(2 * Math.log2(Math.max(rto, 250) / 250));
    let set = this.#sets.get(step);
    if (set === undefined) {
      const timeout = Math.round(250 * 2 ** (step / 2));
      set = Array.from({ length: this.#channelCount }, () => {
        const resolver = new dns.Resolver({ timeout, tries: 1 });
        if (this.#servers !== undefined) resolver.setServers(servers ?? this.#servers());
        return { resolver, live: new Set<Question>(), doomed: false, timeout };
      });
      this.#sets.set(step, set);
    }
    this.#channels = set;
    return this.#channels[this.#next++ % this.#channels.length]!;
  }

  #sweepArmed = false;

  /**
   * The first questions go out with a 1 s timeout, before any round trip is known. Once one is
   * measured, questions still unanswered after the new, shorter timeout are lost by its measure:
   * their channels are cancelled then and the questions asked again (on new channels with that
   * timeout), instead of waiting out the old one.
   */
  #sweep(): void {
    const channels = this.#channels;
    if (this.#sweepArmed || channels.length === 0 || channels[0]!.timeout <= 2 * this.#pacing.rto) return;
    this.#sweepArmed = true;
    // Unref'd: questions in flight keep the process alive by themselves; with none, nothing to sweep.
    rawSetTimeout(() => {
      this.#sweepArmed = false;
      this.#expire(channels);
    }, this.#pacing.rto).unref();
  }

  #expire(channels: Channel[]): void {
    let lost = false;
    for (const channel of channels) {
      if (channel.live.size === 0) continue;
      lost = true;
      cancel.call(channel.resolver);
    }
    if (lost) this.#pacing.lost(performance.now());
  }

  #send(q: Question): void {
    const now = performance.now();
    if (q.tries === 0) q.firstSent = now;
    q.tries++;
    q.sentAt = now;
    const channel = this.#channel();
    q.channel = channel;
    channel.live.add(q);
    this.#inFlight++;
    const done = (err: NodeJS.ErrnoException | null, records: string[] | Ttl[]): void => {
      channel.live.delete(q);
      q.channel = undefined;
      this.#inFlight--;
      const code = err?.code;
      if (code === 'ETIMEOUT' || code === 'ECANCELLED') {
        if (code === 'ETIMEOUT') this.#pacing.lost(performance.now());
        if (q.waiters === 0) this.#finish(q, CANCELLED);
        else if (code === 'ETIMEOUT' && performance.now() - q.firstSent >= this.patience()) this.#finish(q, { code });
        else {
          if (code === 'ETIMEOUT') this.retransmits++;
          this.#retries.push(q);
        }
      } else {
        // Karn: only a question sent once gives a round trip that surely belongs to it.
        this.#pacing.answered(q.tries === 1 ? performance.now() - q.sentAt : undefined);
        this.#sweep();
        if (err) this.#finish(q, { code: code ?? 'EBADRESP' });
        else if (this.#cache === undefined) this.#finish(q, { addresses: records as string[] });
        else {
          const addresses = (records as Ttl[]).map((r) => r.address);
          if (records.length > 0) {
            let ttl = Infinity;
            for (const r of records as Ttl[]) ttl = Math.min(ttl, r.ttl);
            if (ttl > 0) this.#cache.set(q.key, { expires: Date.now() + ttl * 1000, addresses });
          }
          this.#finish(q, { addresses });
        }
      }
      this.#pump();
    };
    // TTLs only when cached: without them c-ares' answers are plain strings, one object less each.
    const query = q.type === 'A' ? resolve4 : resolve6;
    if (this.#cache === undefined) (query as (this: dns.Resolver, name: string, cb: (err: NodeJS.ErrnoException | null, r: string[]) => void) => void).call(channel.resolver, q.name, done);
    else query.call(channel.resolver, q.name, WITH_TTL, done as (err: NodeJS.ErrnoException | null, r: unknown) => void);
  }
}
