import { Greenlet, type KillOptions } from './greenlet.js';
import { validateException } from '../internal/exception.js';
import { rawSetImmediate } from '../internal/timers.js';
import { invalidArgType, secondsToMs, toArray, validateFlag, validateOptions } from '../internal/validate.js';
import { checkLinkable, iwait, wait } from './wait.js';

/** Options of `joinAll`. */
export interface JoinAllOptions {
  /** The most seconds to wait. @default undefined (no limit) */
  timeout?: number | null;
  /** Reject with the first failure among the finished greenlets. @default false */
  raiseError?: boolean;
  /** Return once this many greenlets finished. @default all */
  count?: number | null;
}

/**
 * Waits for the greenlets and resolves with those that finished, in completion order. On timeout
 * it resolves with the finished subset; it rejects only with `raiseError`, with the first failure.
 *
 * @example
 * ```ts
 * import { spawn, joinAll } from 'nodevent';
 * import { gethostbyname } from 'nodevent/net';
 * const hosts = ['localhost', 'ip6-localhost'];
 * const jobs = hosts.map((h) => spawn(gethostbyname, h));
 * await joinAll(jobs, { timeout: 5 });
 * console.log(jobs.map((j) => j.value));
 * ```
 */
export async function joinAll<G extends Greenlet<any, any>>(greenlets: Iterable<G>, options: JoinAllOptions = {}): Promise<G[]> {
  const list = toArray(greenlets, 'greenlets');
  list.forEach((g, index) => checkLinkable(g, index, 'greenlets'));
  validateOptions(options);
  validateFlag(options.raiseError, 'options.raiseError');
  if (!options.raiseError) return wait(list, options);
  const finished: G[] = [];
  for await (const g of iwait(list, options)) {
    finished.push(g);
    if (!g.successful()) throw g.exception; // leaving the loop unlinks from the others
  }
  return finished;
}

/**
 * Kills every greenlet (with GreenletExit unless `exception` is given). With `block` (default) it
 * resolves once all are dead; never rejects.
 *
 * @example
 * ```ts runnable
 * import { spawn, killAll, sleep } from 'nodevent';
 * const jobs = [spawn(() => sleep(60)), spawn(() => sleep(60))];
 * await killAll(jobs);
 * ```
 */
export async function killAll(greenlets: Iterable<Greenlet<any, any>>, options: KillOptions = {}): Promise<void> {
  const list = toArray(greenlets, 'greenlets');
  // All checked before any is killed.
  list.forEach((g, index) => {
    if (!(g instanceof Greenlet)) throw invalidArgType(`greenlets[${index}]`, 'an instance of Greenlet', g);
  });
  validateOptions(options);
  validateFlag(options.block, 'options.block');
  secondsToMs(options.timeout, 'options.timeout');
  validateException(options.exception, 'options.exception');
  for (const g of list) void g.kill({ ...options, block: false });
  if (options.block !== false) await new Promise((resolve) => rawSetImmediate(resolve));
}
