// Behaviour every worker pool must show, run against each implementation (ThreadPool, ProcessPool):
// validation, results and errors crossing the boundary, kill/timeout stopping the worker, FIFO
// waiting, close(). Where the pools differ (where a task runs, what is left once a worker is
// stopped), the caller passes the check.
import type { Test } from 'tap';
import { createHook } from 'node:async_hooks';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Greenlet, GreenletExit, Timeout, getCurrent, hub, sleep, spawn, withTimeout } from '../../src/runtime/index.js';
import type { WorkerPool, WorkerPoolOptions } from '../../src/runtime/workerpool.js';

export interface PoolKind {
  /** The class name, as errors spell it: 'ThreadPool', 'ProcessPool'. */
  label: string;
  Pool: new (size?: number, options?: WorkerPoolOptions) => WorkerPool;
  /** What a worker is, in test names: 'thread', 'process'. */
  worker: string;
  /** How the results test names the place: 'on another thread', 'in another process'. */
  where: string;
  /** How the kill test names what happens to the worker: 'terminates the thread', … */
  killed: string;
  /** Checks the `where` task's answer (isMainThread, pid) against the kind of worker. */
  checkWhere(t: Test, where: { isMainThread: boolean; pid: number }): void;
  /** The message of a task whose worker exited under it (code 3). */
  exitMessage: RegExp;
  /**
   * Optional further check once the task that wrote `started` (its worker's pid) was stopped: e.g.
   * that its process is gone. `message` names the check.
   */
  workerGone?(t: Test, started: string, message: string): Promise<void>;
}

export function poolBehaviour(t: Test, kind: PoolKind): void {
  const { label, Pool } = kind;
  const tasksUrl = new URL('../fixtures/pool-tasks.mjs', import.meta.url);
  const tasks = fileURLToPath(tasksUrl);
  const dir = mkdtempSync(join(tmpdir(), `nodevent-${label.toLowerCase()}-`));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const file = (name: string) => join(dir, `${name}-${++n}`);

  /** Polls until `path` exists: the task is running on its worker. */
  async function waitForFile(path: string): Promise<void> {
    for (let i = 0; i < 1000 && !existsSync(path); i++) await sleep(0.01);
    if (!existsSync(path)) throw new Error(`${path} never appeared`);
  }

  // The tasks are plain JS: workers need none of the TypeScript hooks tap runs this file with, and
  // start much faster without them.
  const lean = { execArgv: [] };
  // One pool for the tests that do not end it; each test leaves it idle.
  const pool = new Pool(2, lean);
  t.teardown(() => pool.close());

  t.test('size validation: 0, negative, NaN, fractions are RangeErrors naming size', async (t) => {
    for (const size of [0, -1, NaN, 1.5, Infinity]) {
      t.throws(() => new Pool(size), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: /"size"/ }, String(size));
    }
    t.throws(() => new Pool('2' as unknown as number), { name: 'TypeError', message: /"size"/ });
    t.throws(() => new Pool(1, { idleTimeout: -1 }), { name: 'RangeError', message: /"options.idleTimeout"/ });
    t.throws(() => new Pool(1, { execArgv: '--x' as unknown as string[] }), { name: 'TypeError', message: /"options.execArgv"/ });
  });

  t.test('spawn validates module and exportName', async (t) => {
    t.throws(() => pool.spawn(42 as unknown as string, 'add'), { name: 'TypeError', message: /"module"/ });
    t.throws(() => pool.spawn('', 'add'), { name: 'TypeError', message: /"module"/ });
    t.throws(() => pool.spawn(tasks, 7 as unknown as string), { name: 'TypeError', message: /"exportName"/ });
  });

  t.test(`results come back, computed ${kind.where}; path, file URL string and URL all work`, async (t) => {
    const g = pool.spawn<number>(tasks, 'add', 2, 3);
    t.type(g, Greenlet, 'the same Greenlet handle as green tasks');
    t.equal(await g, 5);
    t.ok(g.successful());
    t.equal(g.value, 5);
    kind.checkWhere(t, await pool.spawn<{ isMainThread: boolean; pid: number }>(tasksUrl, 'where'));
    t.equal(await pool.spawn(tasksUrl.href, 'add', 1, 1), 2);
    const rich = { map: new Map([[1, 'one']]), big: 10n ** 20n, date: new Date(0), bytes: new Uint8Array([1, 2]) };
    t.same(await pool.spawn(tasks, 'echo', rich), rich, 'structured clone both ways');
  });

  t.test('errors keep their class, name, message, stack and own properties', async (t) => {
    const g = pool.spawn(tasks, 'failCustom', 'boom');
    const error = (await g.join(), g.exception) as Error & { code?: string };
    t.type(error, Error);
    t.equal(error.name, 'CustomError');
    t.equal(error.message, 'boom');
    t.equal(error.code, 'E_CUSTOM');
    t.match(error.stack, /failCustom .*pool-tasks\.mjs/, 'the stack is the worker\'s');
    await t.rejects(pool.spawn(tasks, 'failRange', 'too far').get(), { constructor: RangeError, name: 'RangeError', message: 'too far' });
    const thrown = pool.spawn(tasks, 'throwString');
    await thrown.join();
    t.equal(thrown.exception, 'just a string', 'a thrown non-error comes back as it was');
    await t.rejects(pool.spawn(tasks, 'notAFunction').get(), { name: 'TypeError', message: /no exported function "notAFunction"/ });
    await t.rejects(pool.spawn(tasks, 'returnFunction').get(), { name: 'TypeError', message: /result of "returnFunction" cannot be sent back/ });
    await t.rejects(pool.spawn(tasks, 'add', () => 1).get(), { name: 'DataCloneError' }, 'arguments that cannot be cloned');
    await t.rejects(pool.spawn(join(dir, 'missing.mjs'), 'add').get(), { code: 'ERR_MODULE_NOT_FOUND' });
    const failed: unknown[] = [];
    const linked = pool.spawn(tasks, 'failRange', 'linked');
    linked.linkException((dead) => failed.push(dead.exception));
    await linked.join();
    await sleep(0);
    t.equal(failed.length, 1, 'linkException fires');
  });

  t.test('a task that fails while nobody observes it is reported to the hub, once', async (t) => {
    const seen: unknown[] = [];
    hub.errorHandler = (g, err) => seen.push([g, err]);
    t.teardown(() => void (hub.errorHandler = null));
    const lonely = pool.spawn(tasks, 'failRange', 'lonely');
    while (!lonely.dead) await sleep(0.005); // polling, not joining: a join would observe it
    await sleep(0);
    t.equal(seen.length, 1);
    t.match(seen[0], [lonely, { name: 'RangeError', message: 'lonely' }]);
  });

  t.test(`kill mid-run ${kind.killed}: the side effect never happens; the pool goes on`, async (t) => {
    const done = file('done');
    const started = file('started');
    const g = pool.spawn(tasks, 'sleepThenWrite', 300, done, started);
    await waitForFile(started);
    await g.kill();
    t.ok(g.dead);
    t.type(g.value, GreenletExit);
    t.equal(pool.running, 0, 'the slot is free at once');
    await sleep(0.6);
    t.equal(existsSync(done), false, 'the task never wrote its file');
    t.equal(await pool.spawn(tasks, 'add', 20, 22), 42, 'a replacement worker runs the next task');
  });

  t.test('kill stops a task stuck in a busy loop (no await to cancel at)', async (t) => {
    const done = file('done');
    const started = file('started');
    const g = pool.spawn(tasks, 'spinThenWrite', 300, done, started);
    await waitForFile(started);
    await g.kill();
    await sleep(0.6);
    t.equal(existsSync(done), false);
    t.equal(await pool.spawn(tasks, 'add', 1, 2), 3);
    await kind.workerGone?.(t, started, `the killed ${kind.worker} is gone`);
  });

  t.test('killing the parent greenlet stops the pool task it spawned', async (t) => {
    const done = file('done');
    const started = file('started');
    const parent = spawn(async () => {
      await pool.spawn(tasks, 'sleepThenWrite', 300, done, started);
    });
    await waitForFile(started);
    await parent.kill();
    await sleep(0.6);
    t.equal(existsSync(done), false, 'a busy task is stopped too');
    await kind.workerGone?.(t, started, `its ${kind.worker} is gone`);
  });

  t.test('withTimeout around a pool task stops it', async (t) => {
    const done = file('done');
    await t.rejects(withTimeout(0.05, () => pool.spawn(tasks, 'sleepThenWrite', 300, done)), Timeout);
    await sleep(0.6);
    t.equal(existsSync(done), false);
    t.equal(await withTimeout(5, () => pool.spawn(tasks, 'add', 1, 1)), 2, 'a task within its deadline');
  });

  t.test('a pool of 2 runs at most 2 at once; the rest wait', async (t) => {
    const running = file('running');
    rmSync(running, { force: true });
    mkdirSync(running);
    const order: number[] = [];
    const gs = [0, 1, 2, 3, 4].map((id) => {
      const g = pool.spawn<number>(tasks, 'countRunning', running, String(id), 150);
      g.link(() => order.push(id));
      return g;
    });
    await sleep(0.01);
    t.equal(pool.running, 2);
    t.equal(pool.waiting, 3);
    const seen = await Promise.all(gs.map((g) => g.get()));
    for (const count of seen) t.ok(count >= 1 && count <= 2, `saw ${count} running`);
    t.equal(order.length, 5);
    t.equal(pool.running, 0);
    t.equal(pool.waiting, 0);
  });

  t.test(`a ${kind.worker} that exits under a task fails that task; the pool goes on`, async (t) => {
    await t.rejects(pool.spawn(tasks, 'exitWorker', 3).get(), { message: kind.exitMessage });
    t.equal(await pool.spawn(tasks, 'add', 2, 2), 4);
  });

  t.test('FIFO: with one worker, tasks run in the order they were spawned; a killed waiter is skipped', async (t) => {
    const single = new Pool(1, lean);
    t.teardown(() => single.close());
    const order: string[] = [];
    const skipped = file('skipped');
    const a = single.spawn(tasks, 'echo', 'a');
    const b = single.spawn(tasks, 'sleepThenWrite', 0, skipped);
    const c = single.spawn(tasks, 'echo', 'c');
    const d = single.spawn(tasks, 'echo', 'd');
    for (const [name, g] of [['a', a], ['b', b], ['c', c], ['d', d]] as const) g.link(() => order.push(name));
    await sleep(0);
    t.equal(single.waiting, 3);
    await b.kill();
    t.equal(single.waiting, 2, 'the killed waiter left the queue');
    t.equal(await d, 'd');
    t.same(order, ['b', 'a', 'c', 'd']);
    t.equal(existsSync(skipped), false, 'the killed waiter never ran');
  });

  t.test('a task killed while it waits for a worker: its wait ends with the kill, nothing is left pending, the next waiter gets the worker', async (t) => {
    const single = new Pool(1, lean);
    t.teardown(() => single.close());
    const started = file('started');
    // Holds the only worker until the test lets go of it (by killing it): no race with a clock.
    const holder = single.spawn(tasks, 'sleepThenWrite', 60_000, file('held'), started);
    await waitForFile(started);
    // Every promise the waiting task's body creates, until it settles: a wait the kill never ended
    // stays here (and so does everything its closure holds).
    const pending = new Set<number>();
    let victim: Greenlet | undefined;
    const hook = createHook({
      init(id, type) {
        if (type === 'PROMISE' && victim !== undefined && getCurrent() === victim) pending.add(id);
      },
      promiseResolve(id) {
        pending.delete(id);
      },
    });
    hook.enable();
    t.teardown(() => hook.disable());
    victim = single.spawn(tasks, 'sleepThenWrite', 0, file('never'));
    const next = single.spawn(tasks, 'echo', 'next');
    await sleep(0);
    t.equal(single.waiting, 2);
    t.ok(pending.size > 0, 'the waiting body was seen');
    await victim.kill();
    hook.disable();
    t.type(victim.value, GreenletExit);
    t.equal(single.waiting, 1, 'the killed waiter left the queue');
    t.equal(pending.size, 0, 'every promise of the killed body settled');
    await holder.kill();
    t.equal(await next, 'next', 'the next waiter gets the worker');
    t.equal(single.running, 0);
    t.equal(single.waiting, 0);
  });

  t.test('close() kills running and waiting tasks, ends the workers, refuses new tasks', async (t) => {
    const closing = new Pool(1, lean);
    const done = file('done');
    const started = file('started');
    const running = closing.spawn(tasks, 'spinThenWrite', 300, done, started);
    const waiting = closing.spawn(tasks, 'sleepThenWrite', 0, file('never'));
    await waitForFile(started);
    await closing.close();
    t.ok(closing.closed);
    for (const g of [running, waiting]) {
      t.ok(g.dead);
      t.type(g.value, GreenletExit);
    }
    t.equal(closing.close(), closing.close(), 'close is idempotent');
    t.throws(() => closing.spawn(tasks, 'add', 1, 2), { code: 'ERR_POOL_CLOSED', message: new RegExp(`${label} is closed`) });
    await sleep(0.6);
    t.equal(existsSync(done), false, 'a busy task is stopped too');
    await kind.workerGone?.(t, started, `its ${kind.worker} is gone`);
  });
}
