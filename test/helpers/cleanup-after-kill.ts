import { spawn, sleep, type Greenlet } from '../../src/runtime/index.js';

/**
 * Runs `cleanup` in the `finally` of a greenlet killed while it sleeps (the kill reaches the sleep),
 * as a gevent user's cleanup code would run, and resolves with what `cleanup` resolved or rejected.
 */
export async function cleanupAfterKill(cleanup: () => Promise<unknown>): Promise<{ greenlet: Greenlet; seen: unknown }> {
  let seen: unknown;
  let done = false;
  let entered = false;
  const greenlet = spawn(async () => {
    try {
      entered = true;
      await sleep(10);
    } finally {
      seen = await cleanup().catch((error: unknown) => error);
      done = true;
    }
  });
  while (!entered) await sleep(0.01);
  await greenlet.kill();
  while (!done) await sleep(0.01);
  return { greenlet, seen };
}
