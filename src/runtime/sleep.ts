import { waitScope } from './scope.js';
import { rawClearImmediate, rawClearTimeout, rawSetImmediate, rawSetTimeout } from '../internal/timers.js';
import { secondsToMs } from '../internal/validate.js';

/**
 * Waits `seconds` (fractions allowed). `sleep(0)` yields to every other ready greenlet and to
 * pending I/O. Inside a greenlet the sleep is owned by its scope: when the greenlet is killed or
 * its timeout fires, it rejects with that reason at once and leaves no timer behind. The kill is
 * delivered once (to the first sleep after it when the greenlet was not waiting in an owned
 * operation): a greenlet that catches it and sleeps again really sleeps. `Infinity` sleeps
 * until the scope ends.
 *
 * @example
 * ```ts runnable
 * import { spawn, sleep } from 'nodevent';
 * spawn(async () => { await sleep(0.25); console.log('a quarter second later'); });
 * ```
 */
export function sleep(seconds: number = 0): Promise<void> {
  const ms = secondsToMs(seconds, 'seconds');
  const scope = waitScope();
  if (scope?.aborted) return Promise.reject(scope.reason);
  return new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
    const owned = {
      dispose(reason: unknown) {
        if (ms === 0) rawClearImmediate(timer as NodeJS.Immediate);
        else if (timer !== undefined) rawClearTimeout(timer as NodeJS.Timeout);
        reject(reason);
      },
    };
    const done = (): void => {
      scope?.disown(owned);
      resolve();
    };
    if (ms === 0) timer = rawSetImmediate(done);
    else if (ms !== undefined) timer = rawSetTimeout(done, ms);
    scope?.own(owned);
  });
}
