import { rawClearInterval, rawSetInterval } from '../internal/timers.js';
import type { Client } from './connection.js';
import { REAP, type QueueKeys } from './scripts.js';

/**
 * A consumer's lease on the items it holds, and the reaper of the leases that lapsed. The lease
 * key lives `seconds`; it is renewed every third of that while the consumer holds items or waits
 * for one, so a consumer that dies (or stalls past its lease) has its items given back to pending
 * by whichever client reaps next.
 */
export class Lease {
  /** The lease in seconds. */
  readonly seconds: number;
  readonly #keys: QueueKeys;
  readonly #consumer: string;
  readonly #base: string;
  readonly #client: () => Client | null;
  #timer: NodeJS.Timeout | undefined = undefined;
  #lastReap = 0;

  /** `client()` is the queue's command connection, or null while it has none. */
  constructor(seconds: number, keys: QueueKeys, consumer: string, base: string, client: () => Client | null) {
    this.seconds = seconds;
    this.#keys = keys;
    this.#consumer = consumer;
    this.#base = base;
    this.#client = client;
  }

  /** Renews the lease while `needed`; stops renewing once it is not (the key then expires). */
  keep(needed: boolean): void {
    if (needed && this.#timer === undefined) {
      this.#timer = rawSetInterval(() => {
        const client = this.#client();
        if (client === null) return;
        client.multi()
          .set(this.#keys.lease, '1', { expiration: { type: 'PX', value: Math.round(this.seconds * 1000) } })
          .sAdd(this.#keys.consumers, this.#consumer)
          .exec()
          .catch(() => {}); // the next tick tries again; a lease lost meanwhile only causes duplicates
      }, Math.max(30, Math.round((this.seconds * 1000) / 3)));
      this.#timer.unref();
    } else if (!needed && this.#timer !== undefined) {
      rawClearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  /**
   * Gives back the items of every consumer whose lease lapsed; unless `force`, at most twice per
   * lease from this client. `run` sends the script (retrying over a lost connection). Resolves the
   * number of items given back.
   */
  async reap(run: <R>(fn: (client: Client) => Promise<R>) => Promise<R>, force = false): Promise<number> {
    const now = Date.now();
    if (!force && now - this.#lastReap < (this.seconds * 1000) / 2) return 0;
    this.#lastReap = now;
    const k = this.#keys;
    return Number(await run((c) => REAP.run(c, [k.consumers, k.pending, k.expired, k.taken, k.requeued], [this.#base])));
  }
}
