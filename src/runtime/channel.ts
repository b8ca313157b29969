import { SimpleQueue } from './simplequeue.js';

/**
 * A rendezvous between greenlets, as gevent's `Channel`: `put` waits until a getter takes the
 * item and has run on with it (until it next waits), `get` waits for a putter; nothing is stored (`qsize()` is 0, `full()` is true while no
 * getter waits). Both sides are served oldest first. The one exception to "nothing is stored": an
 * item whose getter was killed at the moment of the hand-over is kept for the next getter, never
 * lost.
 *
 * @example
 * ```ts runnable
 * import { Channel, spawn } from 'nodevent';
 * const ch = new Channel<string>();
 * spawn(async () => console.log(await ch.get()));
 * await ch.put('ping'); // resolves once the getter has it
 * ```
 */
export class Channel<T> extends SimpleQueue<T> {
  constructor() {
    super();
  }

  override get maxsize(): number {
    return 0;
  }

  protected override _capacity(): number {
    return 0;
  }

  protected override _rendezvous(): boolean {
    return true;
  }
}
