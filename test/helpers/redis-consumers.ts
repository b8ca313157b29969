// Consumer processes for the Redis reliability tests (test/redis-reliability*.test.ts): plain
// node running test/fixtures/redis-consumer.mjs against a queue, each killed at the test's end.
import { spawn as spawnProcess, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { RedisServer } from '../../src/testing/redis-server.js';
import { transpiledSrc, type Teardown } from './transpiled.js';


export interface Consumer { proc: ChildProcess; taken: Set<string>; exited: Promise<void> }

const script = fileURLToPath(new URL('../fixtures/redis-consumer.mjs', import.meta.url));

/**
 * Consumer processes are plain node on a transpiled copy of the library (test/helpers/transpiled.ts):
 * these tests restart children often. Every consumer still running at `t`'s teardown is SIGKILLed.
 */
export function consumers(t: Teardown) {
  const lib = transpiledSrc(t, ['runtime', 'redis']);

  const children = new Set<ChildProcess>();
  t.teardown(() => { for (const c of children) c.kill('SIGKILL'); });

  /** Starts a consumer of `queue`; `env` adds WORK_MS and the like. */
  function start(server: RedisServer, queue: string, env: Record<string, string> = {}): Consumer {
    const { NODE_OPTIONS: _drop, ...rest } = process.env;
    const proc = spawnProcess(process.execPath, [script], {
      env: { ...rest, NODEVENT_LIB: lib.href, REDIS_URL: server.url, QUEUE: queue, LEASE: '1', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.add(proc);
    const taken = new Set<string>();
    const consumer: Consumer = {
      proc, taken,
      exited: new Promise((resolve) => proc.once('exit', () => { children.delete(proc); resolve(); })),
    };
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      if (line.startsWith('taken ')) taken.add(line.slice(6));
      proc.emit('taken', line.slice(6));
    });
    return consumer;
  }

  return { start };
}

/** Polls `check` every 50 ms until it holds; throws naming `what` after `seconds`. */
export async function waitFor(check: () => boolean | Promise<boolean>, seconds: number, what: string): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** SIGKILLs a consumer and waits for it to be gone. */
export async function kill(consumer: Consumer): Promise<void> {
  consumer.proc.kill('SIGKILL');
  await consumer.exited;
}
