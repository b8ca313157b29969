// What the translated gevent tests (test/gevent/) share.
import { GreenletExit, hub, sleep, spawn } from '../../src/runtime/index.js';

/**
 * Spawns a greenlet that awaits `waitOn()`, kills it while it waits, and returns what its body
 * went through: 'killed' (the wait rejected with the GreenletExit), 'returned', or the other error,
 * then 'finally'.
 */
export async function killWhileWaiting(waitOn: () => Promise<unknown>): Promise<string[]> {
  const log: string[] = [];
  const g = spawn(async () => {
    try {
      await waitOn();
      log.push('returned');
    } catch (error) {
      log.push(error instanceof GreenletExit ? 'killed' : String(error));
    } finally {
      log.push('finally');
    }
  });
  await sleep(0);
  await g.kill();
  return log;
}

/** Sends what the hub reports to an array for the test's duration (no errorHandler meanwhile). */
export function captureHub(t: { teardown(fn: () => void): void }): string[] {
  const lines: string[] = [];
  const { exceptionStream, errorHandler } = hub;
  hub.exceptionStream = { write: (text: string) => lines.push(text) } as unknown as NodeJS.WritableStream;
  hub.errorHandler = null;
  t.teardown(() => {
    hub.exceptionStream = exceptionStream;
    hub.errorHandler = errorHandler;
  });
  return lines;
}
