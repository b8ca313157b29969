import { EAI, getaddrinfoError, type LookupDone, type LookupRequest, type LookupRun } from '../resolver/cares.js';
import { lookupEngine } from '../resolver/lookup.js';
import { rawClearTimeout, rawSetTimeout } from '../internal/timers.js';

// The lookups of the connections a dispatcher (undici's pools and clients) opens for an origin's
// requests. Such a connect serves whichever request of the origin the client has queued when it
// completes, not only the one whose dispatch began it, and a connect that fails fails every
// request queued on it. So its lookup is held for the origin's waiting requests together: while
// one of them waits it runs; once none does (their greenlets were killed, their timeouts fired),
// its questions are given up, so no retry nobody waits for holds the process, and it neither fails
// nor succeeds: a request the origin gets later takes it up again with fresh questions. Left
// without one, it ends as a lookup nobody answers ends (EAI_AGAIN), when its patience would have
// run out, on a timer that does not hold the process.

/** One origin's requests waiting for a connection, and the connects' lookups they hold. */
export class OriginLookups {
  /** Requests dispatched and neither started on a connection, nor ended, nor given up. */
  waiting = 0;
  readonly lookups = new Set<HeldLookup>();

  constructor(readonly origin: string) {}

  /** A request of the origin waits (for a connection). */
  enter(): void {
    if (this.waiting++ === 0) for (const lookup of this.lookups) lookup.attach();
  }

  /** A request that waited no longer does (it started, ended, or its greenlet gave it up). */
  leave(): void {
    if (--this.waiting !== 0) return;
    for (const lookup of this.lookups) lookup.detach();
    this.#forgetIfIdle();
  }

  /** Starts a lookup of a connect begun for this origin's requests (see `lookupsOwnedBy`). */
  startLookup(req: LookupRequest, done: LookupDone): void {
    const lookup = new HeldLookup(this, req, done);
    this.lookups.add(lookup);
    if (this.waiting > 0) lookup.attach();
    else lookup.detach();
  }

  /** @internal `lookup` ended. */
  _ended(lookup: HeldLookup): void {
    this.lookups.delete(lookup);
    this.#forgetIfIdle();
  }

  #forgetIfIdle(): void {
    if (this.waiting === 0 && this.lookups.size === 0 && origins.get(this.origin) === this) origins.delete(this.origin);
  }
}

/** A connect's lookup, run while its origin has waiting requests (see the head comment). */
class HeldLookup {
  #run: LookupRun | undefined = undefined;
  #timer: NodeJS.Timeout | undefined = undefined;
  #over = false;
  /** When it ends if left without waiting requests (performance.now(), ms). */
  readonly #deadline: number;

  constructor(readonly origin: OriginLookups, readonly req: LookupRequest, readonly done: LookupDone) {
    this.#deadline = performance.now() + lookupEngine().queries.patience();
  }

  /** Asks (again): a request waits for the connect. */
  attach(): void {
    if (this.#over || this.#run !== undefined) return;
    if (this.#timer !== undefined) {
      rawClearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const run = lookupEngine().start(this.req, this.#finish);
    // An answer from the hosts file or the cache came within start().
    if (!this.#over) this.#run = run;
  }

  /** Gives the questions up: no request waits; ends at the deadline unless one comes first. */
  detach(): void {
    if (this.#over || this.#timer !== undefined) return;
    const run = this.#run;
    this.#run = undefined;
    run?.cancel();
    const timer = rawSetTimeout(this.#expire, Math.max(0, this.#deadline - performance.now()));
    timer.unref();
    this.#timer = timer;
  }

  readonly #expire = (): void => {
    this.#timer = undefined;
    this.#finish(getaddrinfoError(EAI.AGAIN, this.req.hostname));
  };

  readonly #finish = (err: Error | null, addresses?: string[]): void => {
    if (this.#over) return;
    this.#over = true;
    this.#run = undefined;
    if (this.#timer !== undefined) rawClearTimeout(this.#timer);
    this.origin._ended(this);
    this.done(err, addresses);
  };
}

const origins = new Map<string, OriginLookups>();

/** The origin's entry, made when a request of it is dispatched in a greenlet. */
export function originLookups(origin: string): OriginLookups {
  let entry = origins.get(origin);
  if (entry === undefined) origins.set(origin, (entry = new OriginLookups(origin)));
  return entry;
}

/** The origin's entry while it holds lookups (a request dispatched outside greenlets must then count). */
export function heldOriginLookups(origin: string): OriginLookups | undefined {
  const entry = origins.get(origin);
  return entry !== undefined && entry.lookups.size > 0 ? entry : undefined;
}
