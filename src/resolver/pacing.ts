/** Options of `Pacing`. */
export interface PacingOptions {
  /** The window never grows beyond this. @default 4096 */
  maxWindow?: number;
  /** The window at start, before anything is known of the server. @default 1024 */
  initialWindow?: number;
  /** The window never shrinks below this. @default 16 */
  minWindow?: number;
}

// TCP's congestion control, applied to DNS questions (RFC 5681 and RFC 6298 in spirit): questions
// in flight are capped by a window that doubles every round trip while answers return (slow start)
// and halves on a loss, then grows more gently. A question is lost when no answer came within the
// retransmission timeout derived from the measured round trip (srtt + 4 × rttvar), which for a
// 50 ms server is a few hundred ms, not resolv.conf's 5 s.

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
  #lastCut = -Infinity;
  #answersSinceCut = 0;

  constructor(options: PacingOptions = {}) {
    this.#max = options.maxWindow ?? 4096;
    this.#min = Math.min(options.minWindow ?? 16, this.#max);
    this.window = Math.min(options.initialWindow ?? 1024, this.#max);
  }

  /** An answer came back; `rtt` (ms) when it surely belongs to a single sending. */
  answered(rtt: number | undefined): void {
    if (rtt !== undefined) {
      if (this.srtt === 0) {
        this.srtt = rtt;
        this.#rttvar = rtt / 2;
      } else {
        this.#rttvar = 0.75 * this.#rttvar + 0.25 * Math.abs(this.srtt - rtt);
        this.srtt = 0.875 * this.srtt + 0.125 * rtt;
      }
      // The floor absorbs event-loop stalls of a busy process; the ceiling is glibc's own timeout.
      this.rto = Math.min(5000, Math.max(250, 3 * this.srtt, this.srtt + 4 * this.#rttvar));
    }
    this.#answersSinceCut++;
    if (this.window < this.#ssthresh) this.window += 1;
    else this.window += 4 / this.window;
    if (this.window > this.#max) this.window = this.#max;
  }

  /** A question went unanswered for a retransmission timeout, noticed at `now` (ms). */
  lost(now: number): void {
    this.losses++;
    // One cut per round trip: a burst of losses is one congestion event.
    if (now - this.#lastCut < Math.max(this.srtt, 10)) return;
    this.#lastCut = now;
    this.#ssthresh = Math.max(this.#min, this.window / 2);
    this.window = this.#ssthresh;
    // Answers still flowing: the server dropped a burst, and the round trip is still known. None
    // since the last cut: it may be gone or far slower, so timeouts back off (RFC 6298 §5.5).
    if (this.#answersSinceCut === 0) this.rto = Math.min(5000, this.rto * 2);
    this.#answersSinceCut = 0;
  }
}
