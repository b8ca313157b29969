/** Options of `Pacing`. */
export interface PacingOptions {
  /** The window never grows beyond this. @default 4096 */
  maxWindow?: number;
  /**
   * The window at start, before anything is known of the server. Slices sent blind go at most 128
   * every 4 ms, so against a server 50 ms away this bounds nothing: about 1,500 questions go out
   * before the first answer comes back. @default 2048
   */
  initialWindow?: number;
  /** The window never shrinks below this. @default 16 */
  minWindow?: number;
}

// TCP's congestion control, applied to DNS questions (RFC 5681 and RFC 6298 in spirit): questions
// in flight are capped by a window that doubles every round trip while answers return (slow start)
// and halves on a loss, then climbs back to what the server took of it: at once after the first
// loss in a while (a passing overflow), after a wait that doubles with each loss soon after the
// last (the server takes less than that window), growing gently meanwhile. A loss event that lost
// most of what was in flight takes it straight down to what the server took, with no climb. A
// question is lost when no answer came within the retransmission timeout derived from the
// measured round trip (srtt + 4 × rttvar, at least twice srtt), which for a 50 ms server is a few
// hundred ms at first and about 100 ms once the round trip is steady, not resolv.conf's 5 s.

/** The shortest retransmission timeout, ms: an event loop busy for this long is not a loss. */
const MIN_RTO = 100;
/** The longest, ms: glibc's own per-try timeout. */
const MAX_RTO = 5000;
/**
 * How long after the window began to climb back from a cut, in timeouts, a loss is a new overflow
 * rather than one the climb caused. Climbing back takes at most a round trip, and finding a
 * question lost at most a timeout more (a timeout is two round trips at least): a loss the climb
 * caused is found within two timeouts.
 */
const QUIET_RTOS = 4;
/**
 * The longest wait before a climb back, ms: against a server that never takes the window back,
 * one overflow every 10 s costs little, and a long-lived process does not keep for good the
 * caution a bad minute taught it.
 */
const MAX_HOLD = 10_000;

/** RTT estimator and adaptive in-flight window for the questions `CaresQueries` sends. */
export class Pacing {
  window: number;
  #ssthresh = Infinity;
  readonly #max: number;
  readonly #min: number;
  srtt = 0;
  #rttvar = 0;
  /** Retransmission timeout, ms: 1 s until a round trip was measured. */
  rto = 1000;
  losses = 0;
  /** Times an overtaken sending was answered after all (see `reorderWindow`). */
  #reorders = 0;
  /** When the window was last cut: losses of questions sent before then are the same event. */
  #recover = -Infinity;
  /**
   * The window before the last cut, which it climbs back to less what of it was lost (`#dropped`);
   * 0 when it does not (after a silence).
   */
  #climbTo = 0;
  /** The questions lost in the last congestion event (the sendings before the last cut). */
  #dropped = 0;
  /**
   * The questions in flight (at most the window) when the window was last cut; 0 when they were
   * under half of it.
   */
  #inFlightAtCut = 0;
  /** How long after the last cut the window waits before it climbs back, ms. */
  #hold = 0;
  #lastAnswer = -Infinity;

  constructor(options: PacingOptions = {}) {
    this.#max = options.maxWindow ?? 4096;
    this.#min = Math.min(options.minWindow ?? 16, this.#max);
    this.window = Math.min(options.initialWindow ?? 2048, this.#max);
  }

  /** An answer came back at `now` (ms); `rtt` (ms) when it surely belongs to a single sending. */
  answered(rtt: number | undefined, now: number = performance.now()): void {
    this.#lastAnswer = now;
    if (rtt !== undefined) {
      if (this.srtt === 0) {
        this.srtt = rtt;
        this.#rttvar = rtt / 2;
      } else {
        this.#rttvar = 0.75 * this.#rttvar + 0.25 * Math.abs(this.srtt - rtt);
        this.srtt = 0.875 * this.srtt + 0.125 * rtt;
      }
      this.rto = Math.min(MAX_RTO, Math.max(MIN_RTO, 2 * this.srtt, this.srtt + 4 * this.#rttvar));
    }
    if (this.window < this.#ssthresh) this.window += 1;
    else if (this.window < this.#climbTo - this.#dropped && now - this.#recover >= this.#hold) this.window += 1;
    else this.window += 4 / this.window;
    if (this.window > this.#max) this.window = this.#max;
  }

  /**
   * Whether answers clock the questions sent: one came back at or after `since` (ms: when the
   * last slice started). Otherwise questions go out blind: before the first answer, after a
   * silence, and also when a new flight begins just after the last one was answered in full (no
   * answer is on its way to pace it, however recent the last one).
   */
  clocked(since: number): boolean {
    return this.#lastAnswer >= since;
  }

  /**
   * How long past one smoothed round trip a sending overtaken by a later one (sent after it, and
   * answered) is still waited for before it is taken for lost, ms: a quarter of the round trip, at
   * least 1 ms (RACK's reordering window), doubled each time that proved too short, and never
   * beyond the timeout.
   */
  get reorderWindow(): number {
    if (this.srtt === 0) return this.rto;
    return Math.min(this.rto, Math.max(1, this.srtt / 4) * 2 ** Math.min(this.#reorders, 16));
  }

  /** A sending taken for lost because later ones were answered was answered after all. */
  reordered(): void {
    this.#reorders++;
  }

  /**
   * `count` questions sent at `sentAt` went unanswered for a retransmission timeout, or were
   * overtaken by later ones (see `reorderWindow`), noticed at `now` (ms), when `flight` questions
   * were in flight, these included.
   */
  lost(sentAt: number, now: number = performance.now(), count = 1, flight = Infinity): void {
    this.losses++;
    // One cut per congestion event: what was sent before the last cut was sent into the same
    // overflow, whenever its loss is noticed (as NewReno's recovery point).
    if (sentAt < this.#recover) {
      this.#dropped += count;
      this.#limited();
      return;
    }
    // Answers still flowing: the server dropped a burst, and the round trip is still known. None
    // for a whole timeout: it may be gone or far slower, so timeouts back off (RFC 6298 §5.5).
    const flowing = now - this.#lastAnswer <= this.rto;
    // The window halves, so that what queued in front of the server drains, then slow start takes
    // it back to what the server took of it: the window less the questions of this event found
    // lost. Halved for good, as before, a single burst dropped while the server or this process
    // paused halved the pace of everything after it (10,000 names asked A and AAAA took 0.9 s
    // instead of 0.6), while against a server that takes a tenth of the window, most of it is
    // lost, and the window stays near what it takes. The climb begins at once after the first
    // loss in a while; after one soon after the last climb began, it waits a timeout, then twice as
    // long each time (as timeouts back off), the window growing gently meanwhile.
    const before = this.window;
    if (flowing) {
      const quiet = now - this.#recover - this.#hold > QUIET_RTOS * this.rto;
      this.#hold = quiet ? 0 : Math.min(MAX_HOLD, Math.max(this.rto, 2 * this.#hold));
      this.#climbTo = before;
    } else {
      this.#climbTo = 0;
      this.rto = Math.min(MAX_RTO, this.rto * 2);
    }
    this.#dropped = count;
    // Only a window the sending filled says what the server takes: a few questions lost out of a
    // small flight (names nobody answers, asked together) say nothing of it.
    this.#inFlightAtCut = 2 * flight >= before ? Math.min(before, flight) : 0;
    this.#recover = now;
    this.window = Math.max(this.#min, before / 2);
    this.#ssthresh = this.window;
    this.#limited();
  }

  /**
   * When the questions of the last event found lost are most of what was in flight at the cut, the
   * server takes less than half of that: a limit, not a passing overflow (a server that takes a
   * tenth of a first flight). The window goes down to what it took, without a climb back; halved
   * only, the questions asked again after the cut (whose losses are no new event) would flood it
   * round after round.
   */
  #limited(): void {
    if (this.#inFlightAtCut === 0) return;
    const took = this.#inFlightAtCut - this.#dropped;
    if (2 * took >= this.#inFlightAtCut || took >= this.window) return;
    this.window = Math.max(this.#min, took);
    this.#ssthresh = this.window;
    this.#climbTo = 0;
  }
}
