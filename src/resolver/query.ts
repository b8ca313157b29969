import dns from 'node:dns';
import { currentScope, outsideScope, scopeStorage, type Scope } from '../runtime/scope.js';
import { rawSetImmediate, rawSetTimeout } from '../internal/timers.js';
import { Pacing } from './pacing.js';

/** One DNS question's outcome: addresses, or a c-ares error code (ENOTFOUND, ENODATA, ETIMEOUT, ...). */
export type QueryOutcome = { addresses: string[]; code?: undefined } | { addresses?: undefined; code: string };

/** Options of `CaresQueries`. */
export interface QueryOptions {
  /** The largest in-flight window (questions sent and not answered); the window adapts below it. @default 4096 */
  concurrency?: number;
  /**
   * The most questions sent on one c-ares channel (one UDP socket) before the next channel takes
   * over: the answers to a channel's questions wait in its socket's receive buffer (about 200
   * datagrams by default) whenever the process is busy. @default 128
   */
  perChannel?: number;
  /**
   * The most questions sent back to back (a slice): per event-loop turn, per 4 ms of a turn that
   * lasts (a caller's long loop of lookups), and, sent blind (no answer came back since the slice
   * before), no sooner than 4 ms after it (3 ms between two waves of a flight's answers).
   * @default 128, a burst a server's default socket buffer (208 KB) holds
   */
  slice?: number;
  /**
   * The most questions a flight's first slice sends back to back: a flight begins when nothing is
   * in flight, so the server's socket is empty, and holds a burst larger than a slice while the
   * server begins to read it (TCP's initial window, in spirit). The slices after it go at the pace
   * `slice` says. @default twice `slice`
   */
  firstSlice?: number;
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
/** An answer kept for its TTL (with `cache`). */
type Cached = { expires: number; addresses: string[] };

/** A c-ares channel: one `Resolver` (one socket) and the questions it has in flight. */
interface Channel {
  resolver: dns.Resolver;
  live: Set<Question>;
  /** Some question on it has no asker left: cancel it at the end of the turn. */
  doomed: boolean;
  /**
   * Found lost: what it had in flight then was asked again elsewhere, and left to run here (a
   * late answer still counts). It takes no more questions, is cancelled once none of them is
   * wanted any more, and is not reused.
   */
  lost: boolean;
  /** Once lost: its questions still in flight here that are wanted (unanswered, with askers). */
  wanted: number;
  /** Some question in flight here was answered by another sending (see `CaresQueries.#cancelIfMoot`). */
  moot: boolean;
  /** When its first and last questions of this use were sent (ms, performance.now()). */
  openedAt: number;
  lastSent: number;
  /** Questions sent in this use. */
  sent: number;
  /** The servers it asks (a change of servers makes new channels). */
  serversKey: string;
  /**
   * Which server it asks first: the servers' list turned by this many places (c-ares goes on to
   * the next ones only after its own, far longer, timeout).
   */
  turn: number;
  /**
   * Its questions are lost after this many retransmission timeouts (up to 5 s): 1, or 2^k for
   * questions backed off k times (`Question.backoff`).
   */
  backoff: number;
  /**
   * Found lost with at most a quarter of its questions unanswered, or with only questions of one
   * name unanswered: those were lost on their own (a name nobody answers, or answered slower than
   * the timeout), not in a dropped burst.
   */
  isolated: boolean;
  /**
   * Found lost because questions sent after all of its own were answered (see
   * `CaresQueries.#overtaken`): an answer to one of its sendings after that means the server
   * reorders, not drops.
   */
  overtaken: boolean;
  /**
   * When the sendings answered on it in this use went (ms): questions of it still unanswered with
   * some of these sent among them were not dropped in a burst (see `CaresQueries.#overtaken`).
   */
  answeredSent: number[];
  /** Some of its unanswered questions were sent among answered ones: left to the timeout. */
  scattered: boolean;
}

/**
 * Gets a question's outcome, once: a function, or an object whose `outcome` method is called with
 * the index it asked under (one object can then ask several questions without a closure each).
 */
export type OutcomeListener = ((outcome: QueryOutcome) => void) | OutcomeReceiver;

/** See `OutcomeListener`. */
export interface OutcomeReceiver {
  outcome(outcome: QueryOutcome, index: number): void;
}

/** One asker of a question: `release()` when no longer interested (done or cancelled). */
export interface Asked {
  release(): void;
}

/** An asker's place on its question; `listener` is cleared by `release()`. */
class Waiter implements Asked {
  constructor(public question: Question | undefined, public listener: OutcomeListener | undefined, readonly index: number, readonly owner: CaresQueries | undefined) {}
  release(): void {
    const q = this.question;
    if (q === undefined) return;
    this.question = undefined;
    this.listener = undefined;
    if (--q.waiters === 0) this.owner?._abandon(q);
  }

  /** Hands `outcome` to the listener, unless released. */
  deliver(outcome: QueryOutcome): void {
    const listener = this.listener;
    if (listener === undefined) return;
    this.listener = undefined;
    if (typeof listener === 'function') listener(outcome);
    else listener.outcome(outcome, this.index);
  }
}

/** One question (name and type), shared by everyone asking it while it is in flight. */
class Question {
  waiters = 0;
  firstSent = 0;
  /** When its latest sending went (ms). */
  sentAt = 0;
  tries = 0;
  /** Times found lost. */
  losses = 0;
  /** Servers that rejected it (SERVFAIL, REFUSED, NOTIMP): as res_send, it goes on to the next. */
  rejected = 0;
  /** The server it was first sent to (see `Channel.turn`); each loss moves it on to the next. */
  turn = 0;
  /**
   * Its sendings are given 2^backoff retransmission timeouts (see `Channel.backoff`): raised by
   * each loss once one loss was its own (see `Channel.isolated`).
   */
  backoff = 0;
  /** The channel of its latest sending, while that is in flight. */
  channel: Channel | undefined;
  /** Lost channels where earlier sendings of it are still in flight (see `Channel.wanted`). */
  stale: Channel[] | undefined = undefined;
  outcome: QueryOutcome | undefined;
  // Listeners, not a promise: an answer reaches its askers without a microtask per layer. Most
  // questions have one asker: it has a field, the others (coalesced askers) a list made for them.
  first: Waiter | undefined = undefined;
  more: Waiter[] | undefined = undefined;
  #promise: Promise<QueryOutcome> | undefined;
  constructor(readonly name: string, readonly type: 'A' | 'AAAA', readonly key: string) {}

  add(w: Waiter): void {
    if (this.first === undefined) this.first = w;
    else (this.more ??= []).push(w);
  }

  settle(outcome: QueryOutcome): void {
    if (this.outcome !== undefined) return;
    this.outcome = outcome;
    const { first, more } = this;
    this.first = undefined;
    this.more = undefined;
    first?.deliver(outcome);
    if (more !== undefined) for (const w of more) w.deliver(outcome);
  }

  /** The outcome as a promise (made on demand: the lookups listen instead). */
  get promise(): Promise<QueryOutcome> {
    if (this.#promise === undefined) {
      this.#promise = this.outcome !== undefined ? Promise.resolve(this.outcome) : new Promise((resolve) => {
        this.add(new Waiter(undefined, resolve, 0, undefined));
      });
    }
    return this.#promise;
  }
}

const CANCELLED: QueryOutcome = { code: 'ECANCELLED' };
const TIMED_OUT: QueryOutcome = { code: 'ETIMEOUT' };
/**
 * The shortest time between two slices sent blind (see `Pacing.clocked`), ms: with slices of 128,
 * 32,000 questions a second, about what a single-threaded server such as dnsmasq answers. Back to
 * back, slices of a first flight fill the server's socket faster than it reads it, and it drops
 * the rest.
 */
const SLICE_MS = 4;
/**
 * The shortest time between two slices sent blind between two waves of a flight's answers, ms:
 * none came back since the slice before, but one did within the last round trip, to a question of
 * this flight. Answers come in waves, the echo of how the flight's first round trip went out, and
 * the window had room in the gaps between them, where slices went 4 ms apart. The server has just
 * answered at the pace it was asked then, so the gaps go at 3 ms (43,000 questions a second).
 * Lab medians, dnsmasq behind a 50 ms relay: 10,000 names 293 -> 276 ms, A and AAAA 509 -> 441 ms,
 * 5,000 names 202 -> 193 ms, no more rounds with losses. 2 ms gained a little more and lost
 * questions in nearly twice as many rounds.
 */
const BETWEEN_WAVES_SLICE_MS = 3;
/**
 * The shortest time between two slices while answers clock the questions, ms. A turn that reads
 * few answers is short, and slices a turn apart went back to back: four of them in a row were seen
 * (512 questions in 2 ms), which the server's socket overflowed with. At most a slice per
 * millisecond, twice what dnsmasq takes at most, bounds such runs.
 */
const CLOCKED_SLICE_MS = 1;
/**
 * Whether a channel found lost means the server is overwhelmed: it lost questions never lost before
 * of two names or more. A full socket drops a run of questions; one question alone unanswered among
 * answered ones is more likely a name nobody answers (its authoritative server down), and one such
 * name, or the same names asked again, must not slow every other lookup down.
 */
function congested(c: Channel): boolean {
  let fresh: string | undefined;
  for (const q of c.live) {
    if (q.losses !== 0) continue;
    // The A and AAAA questions of one name (family 0) are that name's loss, counted once.
    if (fresh === undefined) fresh = q.name;
    else if (q.name !== fresh) return true;
  }
  return false;
}

/** Whether some sending answered on `c` went between two of those it still has in flight. */
function scattered(c: Channel): boolean {
  let first = Infinity;
  let last = -Infinity;
  for (const q of c.live) {
    if (q.sentAt < first) first = q.sentAt;
    if (q.sentAt > last) last = q.sentAt;
  }
  for (const at of c.answeredSent) if (at > first && at < last) return true;
  return false;
}

/** Whether what `c` has in flight is all of one name (its A and AAAA questions, say). */
function oneName(c: Channel): boolean {
  let name: string | undefined;
  for (const q of c.live) {
    if (name === undefined) name = q.name;
    else if (q.name !== name) return false;
  }
  return true;
}
/** The longest wait for one sending, ms: glibc's per-try timeout. */
const MAX_TRY_MS = 5000;
/** c-ares' own per-try timeout, ms: beyond any retransmission timeout of ours (capped at 5 s). */
const CARES_TIMEOUT = 8000;
const NOTHING_ASKED: Asked = { release() {} };

/**
 * A and AAAA questions over c-ares channels, sent at the pace the server keeps up with.
 * - Identical questions in flight are asked once (coalesced); with `cache` an answer is reused
 *   until its TTL ends.
 * - An adaptive window (see `Pacing`) caps the questions in flight: it grows while answers come
 *   back, halves on a loss and climbs back to what the server took. Questions go out in slices of
 *   the window, one event-loop turn apart, so that answers already back are read between slices
 *   instead of overflowing sockets; sent blind (no answer came back since the slice before: a
 *   first flight, one begun when nothing was in flight, or after a silence), at least 4 ms apart
 *   (3 ms between two waves of a flight's answers), so that they do not overflow the server's
 *   socket either. A flight's first slice may be larger (`firstSlice`): the server's socket is
 *   empty then.
 * - Channels are filled one after the other: a channel takes the questions of one short stretch of
 *   time (at most `perChannel` of them), so all of its questions still unanswered one
 *   retransmission timeout (from the measured round trip) after its last one are lost by that
 *   measure. They are then asked again at the head of the queue, until `patience` runs out, while
 *   their earlier sendings stay in flight: a late answer (a server slower than the timeout, a
 *   resolver recursing) still settles its question, and its round trip raises the timeout. The
 *   lost channel is cancelled (c-ares has no per-question cancel) once none of its questions is
 *   wanted any more. A question lost on its own, not in a burst, is given twice the time per loss
 *   from then on (channels of its own, see `Channel.backoff`), and each loss sends it to the next
 *   nameserver; only a channel that lost two questions never lost before halves the window (see
 *   `congested`). c-ares' own timeout, far longer, only backs this up.
 * - A question every asker gave up on is cancelled: never sent if still queued; if in flight, its
 *   channel is cancelled and the channel's other questions are asked again, so no retry nobody
 *   waits for holds the process alive.
 */
export class CaresQueries {
  readonly #perChannel: number;
  readonly #slice: number;
  readonly #firstSlice: number;
  /** The most new questions the current slice sends: `#firstSlice` if it began a flight, else `#slice`. */
  #sliceLimit: number;
  readonly #pacing: Pacing;
  readonly #queue: Question[] = [];
  #queueHead = 0;
  readonly #retries: Question[] = [];
  #inFlight = 0;
  // Per type, keyed by the lowercased name: no key string built per question.
  readonly #questionsA = new Map<string, Question>();
  readonly #questionsAAAA = new Map<string, Question>();
  readonly #cacheA: Map<string, Cached> | undefined;
  readonly #cacheAAAA: Map<string, Cached> | undefined;
  readonly #servers: (() => string[]) | undefined;
  #servers_: string[] | undefined;
  #serversKey = '';
  /** The server new questions go to first (see `Channel.turn`): the next one after one lost a whole channel. */
  #firstTurn = 0;
  /** Channels with questions in flight, in the order they were filled. */
  readonly #active = new Set<Channel>();
  /** The channel added to `#active` last (its last entry, while it is in it). */
  #lastActive: Channel | undefined;
  #idle: Channel[] = [];
  #current: Channel | undefined;
  #doomed: Channel[] = [];
  #pumping = false;
  /** New questions sent in this event-loop turn (see `#endOfTurn`). */
  #sentThisTurn = 0;
  /** When the current slice began (ms, performance.now()). */
  #sliceAt = 0;
  /**
   * When the last slice began: at a turn's end or in a long turn (see `#startSlice`), or with a
   * question that begins a flight (nothing in flight). Answers since then clock what waits.
   */
  #startedAt = 0;
  /** When the current flight began: its first slice, sent with nothing in flight. */
  #flightAt = 0;
  #turnArmed = false;
  #sweepAt = Infinity;
  /**
   * Per server (a channel's `turn`): when the latest sending answered was sent (ms), of those on
   * channels taking questions for the first time or lost in a burst (`backoff` 1).
   */
  #answeredSentAt: number[] = [];
  #overtakeArmed = false;
  /** When the timer looking for overtaken channels is due (ms), Infinity when none is armed. */
  #overtakeAt = Infinity;
  /** See `QueryOptions.patience`; settable by the lookup that reads resolv.conf. */
  patience: () => number;
  /** Questions sent again after a loss (for benchmarks and tests). */
  retransmits = 0;
  /** Questions answered by a sending found lost before (the server was slower than the timeout). */
  lateAnswers = 0;
  /**
   * Of `retransmits`, those sent again because questions sent after them were answered, before
   * their timeout (see `#overtaken`).
   */
  fastRetransmits = 0;

  readonly #sendNow = (q: Question): void => this.#send(q);

  constructor(options: QueryOptions = {}) {
    this.#perChannel = options.perChannel ?? 128;
    this.#slice = options.slice ?? 128;
    this.#firstSlice = options.firstSlice ?? 2 * this.#slice;
    this.#sliceLimit = this.#firstSlice;
    this.#pacing = new Pacing({ maxWindow: options.concurrency ?? 4096 });
    this.#cacheA = options.cache === true ? new Map() : undefined;
    this.#cacheAAAA = options.cache === true ? new Map() : undefined;
    this.#servers = options.servers;
    this.patience = options.patience ?? (() => 10_000);
  }

  /**
   * Asks `type` for `name`; `listener` gets the outcome once (possibly in this call, from the
   * cache). Call `release()` when no longer interested (done or cancelled).
   */
  listen(name: string, type: 'A' | 'AAAA', listener: OutcomeListener, index = 0): Asked {
    const key = name.toLowerCase();
    const cache = type === 'A' ? this.#cacheA : this.#cacheAAAA;
    if (cache !== undefined) {
      const cached = cache.get(key);
      if (cached !== undefined) {
        if (cached.expires > Date.now()) {
          new Waiter(undefined, listener, index, undefined).deliver({ addresses: cached.addresses });
          return NOTHING_ASKED;
        }
        cache.delete(key);
      }
    }
    const questions = type === 'A' ? this.#questionsA : this.#questionsAAAA;
    let q = questions.get(key);
    const asked = q === undefined;
    if (q === undefined) {
      q = new Question(name, type, key);
      questions.set(key, q);
    }
    q.waiters++;
    const waiter = new Waiter(q, listener, index, this);
    q.add(waiter);
    if (asked) {
      // Nothing in flight nor waiting: this question begins a flight, with a first slice (no answer
      // is on its way to clock it, and the server's socket is empty).
      if (this.#inFlight === 0 && this.pending === 0) this.#startSlice(performance.now());
      // A caller's long loop of lookups is one turn: its next slice goes once SLICE_MS have passed.
      else if (this.#sentThisTurn >= this.#sliceLimit) this.#nextSlice();
      // Sent at once when the window has room and nothing waits ahead of it, as c-ares itself does:
      // the round trip then overlaps with the caller issuing its next lookups.
      if (this.#sentThisTurn < this.#sliceLimit && this.#inFlight < this.#pacing.window && this.pending === 0) {
        this.#sentThisTurn++;
        this.#endOfTurn();
        if (currentScope() === undefined) this.#send(q);
        // Outside the asker's scope (the answer's callback must not run in it), without a closure.
        else scopeStorage.run(undefined as unknown as Scope, this.#sendNow, q);
      } else this.#queue.push(q);
      this.#schedule();
    }
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

  /** The pacing state: window, smoothed RTT, retransmission timeout and reordering window (ms), losses seen. */
  get pacing(): { window: number; srtt: number; rto: number; losses: number; reorderWindow: number } {
    const p = this.#pacing;
    return { window: Math.floor(p.window), srtt: p.srtt, rto: p.rto, losses: p.losses, reorderWindow: p.reorderWindow };
  }

  /** `q` is no longer the question new askers of its name and type join. */
  #forget(q: Question): void {
    const questions = q.type === 'A' ? this.#questionsA : this.#questionsAAAA;
    if (questions.get(q.key) === q) questions.delete(q.key);
  }

  #finish(q: Question, outcome: QueryOutcome): void {
    this.#forget(q);
    if (q.stale !== undefined) this.#unstale(q);
    // Settled by an earlier sending while a later one is in flight: no sending nobody waits for
    // may hold the process, so that one's channel is cancelled once nothing on it is wanted
    // (cancelling it before would send its other questions again).
    const channel = q.channel;
    q.settle(outcome);
    if (channel !== undefined) {
      q.channel = undefined;
      channel.moot = true;
      this.#cancelIfMoot(channel);
    }
  }

  /** Cancels `c` when none of the questions it has in flight is wanted any more. */
  #cancelIfMoot(c: Channel): void {
    for (const q of c.live) if (q.outcome === undefined && q.waiters !== 0) return;
    if (c.live.size > 0) this.#cancel(c);
  }

  /** `q` is answered or abandoned: lost channels left with nothing wanted are cancelled. */
  #unstale(q: Question): void {
    const stale = q.stale!;
    q.stale = undefined;
    for (const c of stale) if (--c.wanted === 0 && c.live.size > 0) cancel.call(c.resolver);
  }

  /** @internal The last asker of `q` released it. */
  _abandon(q: Question): void {
    if (q.outcome !== undefined) return;
    // Nobody waits: a queued question is dropped when its turn comes; one in flight is cancelled
    // with its channel, once the current turn has released everything it will release.
    this.#forget(q);
    if (q.stale !== undefined) this.#unstale(q);
    const channel = q.channel;
    if (channel === undefined || channel.doomed || channel.lost) return;
    channel.doomed = true;
    this.#doomed.push(channel);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    queueMicrotask(() => {
      this.#pumping = false;
      // New questions: the servers are read again before they go, so dns.setServers() applies.
      this.#servers_ = undefined;
      outsideScope(() => this.#pump());
    });
  }

  /**
   * After the poll phase of this event-loop turn (answers read), a new turn's slice begins; sent
   * blind, no sooner than SLICE_MS after the last one began. Counted per turn, not per microtask:
   * greenlets each start in their own microtask.
   */
  #endOfTurn(): void {
    if (this.#turnArmed) return;
    this.#turnArmed = true;
    // The turn's first question sent at once: dns.setServers() may have been called since the
    // servers were last read, and the pump (which reads them again) runs only after this send.
    this.#servers_ = undefined;
    this.#sliceAt = performance.now();
    rawSetImmediate(this.#turnEnded);
  }

  /** The turn's end (see `#endOfTurn`): one function for every turn, no closure each. */
  readonly #turnEnded = (): void => {
    if (this.pending > 0) {
      const now = performance.now();
      // Sent blind (no answer came back since the last slice started: #startedAt, not #sliceAt, as
      // an answer's callback that sends a question arms the turn after the answer), SLICE_MS apart,
      // or BETWEEN_WAVES_SLICE_MS when the flight's answers came within the last round trip;
      // clocked by answers, CLOCKED_SLICE_MS. Timers count whole milliseconds: less than one to
      // wait for a blind slice, or half of one for a clocked slice, is not worth a timer.
      const p = this.#pacing;
      const clocked = p.clocked(this.#startedAt);
      const spacing = clocked ? CLOCKED_SLICE_MS : p.clocked(Math.max(this.#flightAt, now - p.srtt)) ? BETWEEN_WAVES_SLICE_MS : SLICE_MS;
      const wait = this.#sliceAt + spacing - now;
      if (wait >= (clocked ? 0.5 : 1)) {
        rawSetTimeout(this.#turnEnded, wait);
        return;
      }
    }
    this.#turnArmed = false;
    this.#startSlice(performance.now());
  };

  /** In a turn that lasts, a slice is over once SLICE_MS have passed. */
  #nextSlice(): void {
    const now = performance.now();
    if (now - this.#sliceAt >= SLICE_MS) this.#startSlice(now);
  }

  /** A new slice begins `now`: what waits goes first (a first slice if nothing is in flight). */
  #startSlice(now: number): void {
    this.#sliceLimit = this.#inFlight === 0 ? this.#firstSlice : this.#slice;
    if (this.#inFlight === 0) this.#flightAt = now;
    this.#sliceAt = now;
    this.#startedAt = now;
    this.#sentThisTurn = 0;
    if (this.pending > 0) outsideScope(() => this.#pump());
  }

  /**
   * Sends what the window has room for, at most what is left of the slice (the rest on the next
   * turns). Answers make room one or two questions each, and a turn reads them in batches of
   * hundreds: sent back to back, what they made room for would be a burst of twice the batch,
   * which the server's socket (about 256 questions) overflows with.
   */
  #pump(): void {
    if (this.#doomed.length > 0) {
      const doomed = this.#doomed;
      this.#doomed = [];
      for (const channel of doomed) {
        channel.doomed = false;
        // Only when no one waits for one of its questions is there anything to cancel; those still
        // wanted are asked again (cancel() answers them ECANCELLED, handled in #send).
        if (channel.lost) continue;
        for (const q of channel.live) {
          if (q.waiters !== 0) continue;
          this.#cancel(channel);
          break;
        }
      }
    }
    const window = this.#pacing.window;
    // A slice at a time: the rest follows after the answers already back are read.
    let room = Math.min(this.#sliceLimit - this.#sentThisTurn, window - this.#inFlight);
    while (room > 0) {
      let q: Question | undefined;
      if (this.#retries.length > 0) q = this.#retries.shift();
      else if (this.#queueHead < this.#queue.length) {
        q = this.#queue[this.#queueHead]!;
        this.#queue[this.#queueHead++] = undefined as unknown as Question;
        if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
          this.#queue.splice(0, this.#queueHead);
          this.#queueHead = 0;
        }
      } else return;
      // Answered meanwhile by an earlier sending (a late answer): nothing to send.
      if (q!.outcome !== undefined) continue;
      if (q!.waiters === 0) { this.#finish(q!, CANCELLED); continue; }
      this.#send(q!);
      room--;
      this.#sentThisTurn++;
    }
    if (this.#inFlight < window && this.pending > 0) this.#endOfTurn();
  }

  /** The servers questions go to now; undefined: each channel's own, from resolv.conf. */
  servers(): string[] | undefined {
    return this.#servers?.();
  }

  /** The servers, read when new questions were asked (dns.getServers() builds new arrays: not per answer). */
  #serversNow(): string[] | undefined {
    if (this.#servers === undefined) return undefined;
    if (this.#servers_ === undefined) {
      this.#servers_ = this.#servers();
      const key = this.#servers_.join(',');
      if (key !== this.#serversKey) {
        // c-ares refuses setServers with questions pending: new servers, new channels (the old
        // ones finish what they have in flight).
        this.#serversKey = key;
        this.#answeredSentAt = [];
        this.#firstTurn = 0;
        this.#idle = [];
        this.#current = undefined;
      }
    }
    return this.#servers_;
  }

  /**
   * The channel taking questions now: the current one while its stretch lasts (and it has the
   * same `backoff` and `turn`), else the next.
   */
  #channel(now: number, backoff: number, turn: number): Channel {
    const servers = this.#serversNow();
    let c = this.#current;
    if (c !== undefined && (c.lost || c.backoff !== backoff || c.turn !== turn || c.sent >= this.#perChannel || now - c.openedAt > Math.max(5, this.#pacing.rto / 8))) c = undefined;
    if (c === undefined) {
      const idle = this.#idle;
      let i = idle.length - 1;
      while (i >= 0 && idle[i]!.turn !== turn) i--;
      if (i >= 0) {
        c = idle[i]!;
        idle[i] = idle[idle.length - 1]!;
        idle.pop();
      } else {
        // c-ares' timeout only backs up the loss detection here; one try: the retries are ours.
        const resolver = new dns.Resolver({ timeout: CARES_TIMEOUT, tries: 1 });
        if (servers !== undefined) {
          const wanted = turn === 0 ? servers : [...servers.slice(turn), ...servers.slice(0, turn)];
          // A new channel has read resolv.conf's servers itself: usually the list wanted, and
          // setServers (which parses each address with Node's regular expressions) is then skipped.
          if (resolver.getServers().join(',') !== wanted.join(',')) resolver.setServers(wanted);
        }
        c = { resolver, live: new Set(), doomed: false, lost: false, openedAt: 0, lastSent: 0, sent: 0, serversKey: this.#serversKey, turn, backoff, isolated: false, wanted: 0, moot: false, overtaken: false, answeredSent: [], scattered: false };
      }
      c.openedAt = now;
      c.sent = 0;
      c.answeredSent.length = 0;
      c.scattered = false;
      c.backoff = backoff;
      c.isolated = false;
      c.moot = false;
      this.#current = c;
    }
    c.sent++;
    c.lastSent = now;
    // Re-inserted at the end: the set stays in the order the channels were filled (the channel
    // filled last is usually this one already).
    if (c !== this.#lastActive) {
      this.#active.delete(c);
      this.#active.add(c);
      this.#lastActive = c;
    }
    this.#armSweep(this.#dueAt(c));
    return c;
  }

  /** When what `c` has in flight is lost (ms, performance.now()): the RTO never exceeds MAX_TRY_MS. */
  #dueAt(c: Channel): number {
    return c.lastSent + Math.min(MAX_TRY_MS, this.#pacing.rto * c.backoff);
  }

  /**
   * A channel with nothing in flight is reused, unless it still takes questions, is outdated or
   * was lost (a cancelled channel's answers come after, and must not be taken for another use's).
   */
  #drained(c: Channel): void {
    if (c.live.size !== 0) return;
    this.#deactivate(c);
    if (!c.lost && c !== this.#current && c.serversKey === this.#serversKey) this.#idle.push(c);
  }

  /** `c` has nothing in flight: out of `#active`. */
  #deactivate(c: Channel): void {
    this.#active.delete(c);
    if (c === this.#lastActive) this.#lastActive = undefined;
  }

  #cancel(c: Channel): void {
    if (c === this.#current) this.#current = undefined;
    cancel.call(c.resolver);
  }

  #armSweep(at: number): void {
    // Within 10 ms of the armed sweep is close enough: while the first answers shrink the timeout,
    // a timer per answer would be made otherwise.
    if (at > this.#sweepAt - 10) return;
    this.#sweepAt = at;
    // Unref'd: questions in flight keep the process alive by themselves (c-ares' sockets).
    rawSetTimeout(() => {
      if (this.#sweepAt !== at) return;
      // After the poll phase: answers that came back meanwhile are read before anything is lost.
      rawSetImmediate(() => { if (this.#sweepAt === at) outsideScope(() => this.#sweep()); });
    }, Math.max(1, at - performance.now())).unref();
  }

  /**
   * Arms the sweep for the first channel filled (the timeout shrank). Called on many answers while
   * the round trip settles, so it looks no further: channels given more time (`backoff`) are due
   * later anyway, and each sweep arms itself for the next channel due.
   */
  #rearm(): void {
    for (const c of this.#active) {
      if (c.live.size === 0 || c.lost) continue;
      this.#armSweep(this.#dueAt(c));
      return;
    }
  }

  /** Channels due (see `#dueAt`): what they still have in flight is lost. */
  #sweep(): void {
    this.#sweepAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    let lost = false;
    for (const c of this.#active) {
      if (c.live.size === 0 || c.lost) continue;
      const due = this.#dueAt(c);
      if (now < due) {
        next = Math.min(next, due);
        continue;
      }
      this.#lost(c, now);
      lost = true;
    }
    if (next !== Infinity) this.#armSweep(next);
    if (lost) this.#pump();
  }

  /**
   * Channels whose every sending was overtaken: a question sent to the same server after the
   * channel's last one was answered, and the channel's own are not, one round trip and the
   * reordering window after they went. A server that answers in order dropped them (its socket was
   * full), as TCP's RACK tells a loss from the sending time of what was delivered: they are lost
   * then, instead of one retransmission timeout after (about twice the round trip). A burst lost
   * is a run of sendings: when some sent among the unanswered ones were answered, the server
   * answers out of order (a recursive resolver's cache misses among its hits), and the channel is
   * left to the timeout, which follows the spread of the round trips. So are channels with one
   * name unanswered, and those whose questions were lost on their own before (`backoff` above 1):
   * a name answered slowly or never.
   */
  readonly #overtaken = (): void => outsideScope(this.#findOvertaken);

  readonly #findOvertaken = (): void => {
    this.#overtakeArmed = false;
    const wait = this.#pacing.srtt + this.#pacing.reorderWindow;
    const now = performance.now();
    let next = Infinity;
    let lost = false;
    for (const c of this.#active) {
      if (c.lost || c.live.size === 0 || c.backoff !== 1 || c.serversKey !== this.#serversKey) continue;
      const answered = this.#answeredSentAt[c.turn];
      if (c.scattered || answered === undefined || c.lastSent >= answered) continue;
      const at = c.lastSent + wait;
      if (now < at) {
        next = Math.min(next, at);
        continue;
      }
      // One name alone unanswered is more likely slow than dropped (see `congested`).
      if ((c.scattered = scattered(c)) || oneName(c)) continue;
      c.overtaken = true;
      const before = this.retransmits;
      this.#lost(c, now);
      this.fastRetransmits += this.retransmits - before;
      lost = true;
    }
    if (next !== Infinity) this.#armOvertaken(next);
    if (lost) this.#pump();
  };

  /** Looks for overtaken channels again at `at` (ms), after that turn's answers are read. */
  #armOvertaken(at: number): void {
    if (at >= this.#overtakeAt) return;
    this.#overtakeAt = at;
    rawSetTimeout(() => {
      if (this.#overtakeAt !== at) return;
      this.#overtakeAt = Infinity;
      this.#checkOvertaken();
    }, Math.max(1, at - performance.now())).unref();
  }

  /** Looks for overtaken channels after the poll phase of this turn (see `#overtaken`). */
  #checkOvertaken(): void {
    if (this.#overtakeArmed) return;
    this.#overtakeArmed = true;
    // After the poll phase: every answer already back is read first (the sockets of several
    // channels are read in no particular order).
    rawSetImmediate(this.#overtaken);
  }

  /**
   * What `c` has in flight is lost: out of the window, and asked again at the head of the queue
   * (or failed ETIMEOUT once `patience` has run out). Its sendings are left in flight: a late
   * answer still settles its question (a server slower than the timeout, a resolver recursing);
   * the channel is cancelled once none of its questions is wanted.
   */
  #lost(c: Channel, now: number): void {
    c.lost = true;
    if (c === this.#current) this.#current = undefined;
    // Not one answer from the server it asks first: new questions go to the next server first (as
    // c-ares orders servers by their failures; glibc would wait its timeout on each lookup).
    const servers = this.#serversNow();
    if (c.live.size === c.sent && c.turn === this.#firstTurn && c.serversKey === this.#serversKey && servers !== undefined && servers.length > 1) {
      this.#firstTurn = (this.#firstTurn + 1) % servers.length;
    }
    // A name nobody answers, alone on its channel (asked again alone, or after a quiet spell), is
    // lost on its own however few questions the channel carried.
    c.isolated = c.live.size * 4 <= c.sent || oneName(c);
    if (congested(c)) this.#pacing.lost(c.openedAt, now, c.live.size, this.#inFlight);
    this.#inFlight -= c.live.size;
    const patience = this.patience();
    let wanted = 0;
    for (const q of c.live) {
      if (q.outcome !== undefined || q.waiters === 0) continue;
      if (q.channel === c) q.channel = undefined;
      if (now - q.firstSent >= patience) {
        this.#finish(q, TIMED_OUT);
        continue;
      }
      wanted++;
      (q.stale ??= []).push(c);
      this.retransmits++;
      q.losses++;
      if (q.backoff > 0 || c.isolated) q.backoff++;
      this.#retries.push(q);
    }
    c.wanted = wanted;
    if (wanted === 0) cancel.call(c.resolver);
  }

  #send(q: Question): void {
    const now = performance.now();
    q.sentAt = now;
    if (q.tries++ === 0) {
      q.firstSent = now;
      q.turn = this.#firstTurn;
    }
    // A question lost on its own is given twice the time per loss from then on (RFC 6298's
    // back-off, per question, as c-ares and glibc double a query's timeout per try): a name answered
    // slower than the timeout is answered in the end, and one nobody answers (a dead authoritative
    // server) is asked a few times over resolv.conf's patience, not every 100 ms. Questions lost in
    // a dropped burst are asked again with the timeout as it is: the window's cut is the remedy.
    // Each loss moves it on to the next server, as glibc's attempts go through the nameservers:
    // one that is down costs a timeout of ours, not c-ares' (a lost sending stays in flight).
    const servers = this.#serversNow();
    const turn = servers === undefined || servers.length < 2 ? 0 : (q.turn + q.losses + q.rejected) % servers.length;
    const channel = this.#channel(now, 2 ** Math.min(q.backoff, 16), turn);
    q.channel = channel;
    channel.live.add(q);
    this.#inFlight++;
    const done = (err: NodeJS.ErrnoException | null, records: string[] | Ttl[]): void => {
      channel.live.delete(q);
      const code = err?.code;
      const answered = code !== 'ETIMEOUT' && code !== 'ECANCELLED';
      if (channel.lost) {
        // A sending found lost: already out of the window and asked again. Its answer, late,
        // still settles the question, and its round trip tells how slow the server can be.
        if (answered) {
          const at = performance.now();
          this.#pacing.answered(at - now, at);
          // Overtaken but answered: the server answers out of order (a recursive resolver's cache
          // misses); later sendings get more time before they are taken for lost.
          if (channel.overtaken) {
            channel.overtaken = false;
            this.#pacing.reordered();
          }
          if (q.outcome === undefined && q.waiters !== 0) {
            this.lateAnswers++;
            this.#settle(q, err, records);
          }
        }
        if (channel.live.size === 0) this.#deactivate(channel);
        return;
      }
      if (q.channel === channel) q.channel = undefined;
      this.#inFlight--;
      if (!answered) {
        // c-ares' own timeout (far beyond ours), or a cancel: of a channel with a question nobody
        // waits for (the others are asked again), or with nothing wanted left on it.
        if (code === 'ETIMEOUT' && q.losses === 0) this.#pacing.lost(now, performance.now(), 1, this.#inFlight + 1);
        // (A question answered by an earlier sending needs nothing more.)
        if (q.outcome === undefined) {
          if (q.waiters === 0) this.#finish(q, CANCELLED);
          else if (code === 'ECANCELLED') this.#retries.push(q);
          else if (performance.now() - q.firstSent >= this.patience()) this.#finish(q, TIMED_OUT);
          else {
            this.retransmits++;
            q.losses++;
            this.#retries.push(q);
          }
        }
      } else {
        // Each sending is its own c-ares query (its own ID): its round trip is its own, even for
        // a question asked again (Karn's ambiguity does not arise).
        const at = performance.now();
        const rto = this.#pacing.rto;
        this.#pacing.answered(at - now, at);
        if (channel.backoff === 1) {
          channel.answeredSent.push(now);
          if (now > (this.#answeredSentAt[channel.turn] ?? -Infinity)) {
            this.#answeredSentAt[channel.turn] = now;
            this.#checkOvertaken();
          }
        }
        // A shorter timeout applies to what is in flight already (the first questions go out with 1 s).
        if (this.#pacing.rto < rto) this.#rearm();
        if (q.outcome === undefined) {
          // glibc's send_dg does not take a SERVFAIL, REFUSED or NOTIMP reply: it asks the next
          // server, and fails (errno ETIMEDOUT) once every server has said so. Node's c-ares channels
          // report these replies as they are (ARES_FLAG_NOCHECKRESP): the next server is ours to ask.
          const servers = this.#serversNow();
          if ((code === 'ESERVFAIL' || code === 'EREFUSED' || code === 'ENOTIMP') && q.waiters !== 0 && servers !== undefined && ++q.rejected < servers.length) this.#retries.push(q);
          else this.#settle(q, err, records);
        }
      }
      if (channel.moot) this.#cancelIfMoot(channel);
      this.#drained(channel);
      this.#pump();
    };
    // TTLs only when cached: without them c-ares' answers are plain strings, one object less each.
    const query = q.type === 'A' ? resolve4 : resolve6;
    try {
      if (this.#cacheA === undefined) (query as (this: dns.Resolver, name: string, cb: (err: NodeJS.ErrnoException | null, r: string[]) => void) => void).call(channel.resolver, q.name, done);
      else query.call(channel.resolver, q.name, WITH_TTL, done as (err: NodeJS.ErrnoException | null, r: unknown) => void);
    } catch (error) {
      // Refused before it went out (a name Node will not send: later lines throw on a NUL byte). Not
      // in flight, and never asked again: this may run in a timer, where a throw ends the process.
      channel.live.delete(q);
      if (q.channel === channel) q.channel = undefined;
      this.#inFlight--;
      this.#drained(channel);
      this.#finish(q, { code: (error as NodeJS.ErrnoException).code === 'ERR_INVALID_ARG_VALUE' ? 'EBADNAME' : 'EBADQUERY' });
    }
  }

  /** Settles `q` with an answer: the server's error, or the addresses (kept for their TTL with `cache`). */
  #settle(q: Question, err: NodeJS.ErrnoException | null, records: string[] | Ttl[]): void {
    if (err) {
      this.#finish(q, { code: err.code ?? 'EBADRESP' });
      return;
    }
    if (this.#cacheA === undefined) {
      this.#finish(q, { addresses: records as string[] });
      return;
    }
    const addresses = (records as Ttl[]).map((r) => r.address);
    if (records.length > 0) {
      let ttl = Infinity;
      for (const r of records as Ttl[]) ttl = Math.min(ttl, r.ttl);
      if (ttl > 0) (q.type === 'A' ? this.#cacheA : this.#cacheAAAA)!.set(q.key, { expires: Date.now() + ttl * 1000, addresses });
    }
    this.#finish(q, { addresses });
  }
}
