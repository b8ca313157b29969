/**
 * The exception a greenlet is killed with by default. A greenlet that dies of it counts as
 * successful, and its `value` is the GreenletExit instance, as in gevent.
 *
 * @example
 * ```ts runnable
 * import { spawn, sleep, GreenletExit } from 'nodevent';
 * const g = spawn(() => sleep(60));
 * await g.kill();
 * console.log(g.successful(), g.value instanceof GreenletExit); // true true
 * ```
 */
export class GreenletExit extends Error {
  constructor(message = 'greenlet killed') {
    super(message);
    this.name = 'GreenletExit';
  }
}
