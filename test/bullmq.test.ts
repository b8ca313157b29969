import t, { type Test } from 'tap';
import http from 'node:http';
import { Queue, Worker, type Job } from 'bullmq';
import { getCurrent, GreenletExit, sleep, spawn, Timeout } from '../src/runtime/index.js';
import { patchAll, unpatchAll } from '../src/patch/index.js';
import { greenletProcessor, JobCancelled, type JobFunction, type GreenletProcessorOptions } from '../src/bullmq/index.js';
import { findRedisServer, startRedisServer } from '../src/testing/redis-server.js';
import { hangingHttpServer, listenLoopback } from './helpers/servers.js';
import { leakable as resources, settledTo } from './helpers/unreachable.js';

/** Polls `fn` until it is true; throws after 20 s, so a broken bridge fails its test, not the file. */
async function until(fn: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`still false after 20 s: ${fn.toString()}`);
    await sleep(0.01);
  }
}

// BullMQ jobs run by greenletProcessor against a real redis-server: a job's HTTP request to a
// loopback server that never answers is closed at the server when the job times out, is
// cancelled, or its worker is force-closed.

if (findRedisServer() === null) {
  t.plan(0, 'redis-server not found on PATH (install redis-server, see .ci/run/pretest)');
  process.exit(0);
}

const server = await startRedisServer();
t.teardown(() => server.stop());
const connection = { host: '127.0.0.1', port: server.port };
patchAll();
t.teardown(() => unpatchAll());

/** GET `url` with node:http (patched: the request belongs to the calling greenlet). */
function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

interface Outcome { state: 'completed' | 'failed'; value?: unknown; error?: Error }

let n = 0;
/** A queue, and a worker running `fn` as greenlets; both closed at teardown. Outcomes by job id. */
async function setup<D = any>(t: Test, fn: JobFunction<D>, options: GreenletProcessorOptions & { concurrency?: number } = {}) {
  const name = `bullmq-${process.pid}-${++n}`;
  const queue = new Queue<D>(name, { connection });
  const processor = greenletProcessor(fn, options);
  const worker = new Worker<D>(name, processor, { connection, concurrency: options.concurrency ?? 1 });
  worker.on('error', () => {}); // a refused write after close(true) is BullMQ's business
  const outcomes = new Map<string, Outcome>();
  worker.on('completed', (job: Job, value: unknown) => outcomes.set(job.id!, { state: 'completed', value }));
  worker.on('failed', (job: Job | undefined, error: Error) => { if (job) outcomes.set(job.id!, { state: 'failed', error }); });
  t.teardown(async () => {
    await worker.close(true);
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
  });
  await worker.waitUntilReady();
  const outcome = async (id: string): Promise<Outcome> => {
    await until(() => outcomes.has(id));
    return outcomes.get(id)!;
  };
  return { name, queue, worker, processor, outcomes, outcome };
}

t.test('a normal job completes with its value, in a greenlet of its own named after the queue and job', async (t) => {
  const seen: { name?: string; parent?: unknown; signal?: boolean } = {};
  const { name, queue, processor, outcome } = await setup<{ x: number }>(t, async (job, _token, signal) => {
    const me = getCurrent()!;
    Object.assign(seen, { name: me.name, parent: me.parent, signal: signal instanceof AbortSignal });
    await sleep(0.01);
    return job.data.x * 2;
  });
  const job = await queue.add('double', { x: 21 });
  const result = await outcome(job.id!);
  t.equal(result.state, 'completed');
  t.equal(result.value, 42);
  t.equal(seen.name, `${name}:${job.id}`);
  t.equal(seen.parent, null, 'the job greenlet belongs to no other greenlet');
  t.ok(seen.signal, 'the job function gets the greenlet signal');
  t.equal(await (await queue.getJob(job.id!))!.getState(), 'completed');
  t.equal(processor.greenlets.size, 0, 'no greenlet left');
});

t.test('a job over its timeout fails with a Timeout and its in-flight request is closed at the server', async (t) => {
  const srv = await hangingHttpServer(t);
  const { queue, outcome } = await setup(t, () => get(`http://127.0.0.1:${srv.port}/`), { timeout: 0.3 });
  const job = await queue.add('slow', {});
  const result = await outcome(job.id!);
  t.equal(result.state, 'failed');
  t.type(result.error, Timeout);
  t.match(result.error!.message, `job ${job.id} of queue`);
  t.match(result.error!.message, 'timed out after 0.3 s');
  await until(() => srv.closed >= 1);
  t.equal(srv.requests, 1);
  const stored = (await queue.getJob(job.id!))!;
  t.equal(await stored.getState(), 'failed');
  t.match(stored.failedReason, 'timed out', 'BullMQ records why');
});

t.test('cancelJob ends the job: it fails with JobCancelled and its request is closed at the server', async (t) => {
  const srv = await hangingHttpServer(t);
  const { queue, worker, outcome } = await setup(t, () => fetch(`http://127.0.0.1:${srv.port}/`));
  const job = await queue.add('stuck', {});
  await until(() => srv.requests === 1);
  t.equal(worker.cancelJob(job.id!, 'the customer left'), true);
  const result = await outcome(job.id!);
  t.equal(result.state, 'failed');
  t.type(result.error, JobCancelled);
  t.equal((result.error as JobCancelled).reason, 'the customer left');
  t.match(result.error!.message, `job ${job.id}`);
  t.match(result.error!.message, 'the customer left');
  await until(() => srv.closed >= 1);
  t.match((await queue.getJob(job.id!))!.failedReason, 'cancelled: the customer left');
});

t.test('cancelAllJobs ends every running job', async (t) => {
  const srv = await hangingHttpServer(t);
  const { queue, worker, outcome, processor } = await setup(t, () => get(`http://127.0.0.1:${srv.port}/`), { concurrency: 3 });
  const jobs = await queue.addBulk([1, 2, 3].map((i) => ({ name: 'stuck', data: { i } })));
  await until(() => srv.requests === 3);
  worker.cancelAllJobs('closing time');
  for (const job of jobs) t.type((await outcome(job.id!)).error, JobCancelled);
  await until(() => srv.closed >= 3);
  t.equal(processor.greenlets.size, 0);
});

t.test('a job killed with a plain GreenletExit fails: it never completes with the GreenletExit', async (t) => {
  const { queue, outcome } = await setup(t, async () => {
    void getCurrent()!.kill();
    await sleep(10);
  });
  const job = await queue.add('self-kill', {});
  const result = await outcome(job.id!);
  t.equal(result.state, 'failed');
  t.type(result.error, JobCancelled);
  t.type((result.error as JobCancelled).reason, GreenletExit);
});

t.test('worker.close(true) with jobs running kills them and closes their requests', async (t) => {
  const srv = await hangingHttpServer(t);
  const { queue, worker, processor } = await setup(t, () => get(`http://127.0.0.1:${srv.port}/`), { concurrency: 3 });
  await queue.addBulk([1, 2, 3].map((i) => ({ name: 'stuck', data: { i } })));
  await until(() => srv.requests === 3);
  const greenlets = [...processor.greenlets];
  t.equal(greenlets.length, 3);
  await worker.close(true);
  t.ok(greenlets.every((g) => g.dead), 'every job greenlet is dead once close(true) resolved');
  t.ok(greenlets.every((g) => g.exception instanceof JobCancelled));
  t.equal(processor.greenlets.size, 0);
  await until(() => srv.closed >= 3);
});

t.test('a plain close() waits for the running jobs, which complete', async (t) => {
  const { queue, worker, outcome } = await setup(t, async () => { await sleep(0.2); return 'done'; });
  const job = await queue.add('short', {});
  await until(() => worker.isRunning() && (worker as unknown as { lockManager: { getActiveJobCount(): number } }).lockManager.getActiveJobCount() === 1);
  await worker.close();
  t.equal((await outcome(job.id!)).value, 'done');
});

t.test('cancelled jobs are retried by BullMQ rules; retryCancelled: false makes cancellation final', async (t) => {
  const srv = await hangingHttpServer(t);
  const hang = async (job: Job) => {
    if (job.attemptsMade === 0) await get(`http://127.0.0.1:${srv.port}/`);
    return `attempt ${job.attemptsMade + 1}`;
  };

  const retried = await setup(t, hang);
  const a = await retried.queue.add('retry', {}, { attempts: 2 });
  await until(() => srv.requests === 1);
  retried.worker.cancelJob(a.id!, 'try again');
  await until(() => retried.outcomes.get(a.id!)?.state === 'completed');
  t.equal(retried.outcomes.get(a.id!)!.value, 'attempt 2', 'the second attempt completed');

  const final = await setup(t, hang, { retryCancelled: false });
  const b = await final.queue.add('final', {}, { attempts: 2 });
  await until(() => srv.requests === 2);
  final.worker.cancelJob(b.id!, 'stop for good');
  const result = await final.outcome(b.id!);
  t.equal(result.error!.name, 'UnrecoverableError');
  t.type(result.error!.cause, JobCancelled);
  t.match(result.error!.message, 'stop for good');
  const stored = (await final.queue.getJob(b.id!))!;
  t.equal(await stored.getState(), 'failed');
  t.equal(stored.attemptsMade, 1, 'not retried');
  await until(() => srv.closed >= 2);
});

t.test('500 jobs at concurrency 50, a third cancelled at random: cancelled ones fail, the rest complete, nothing left behind', async (t) => {
  const total = 500;
  const doomed = new Set<number>();
  while (doomed.size < Math.floor(total / 3)) doomed.add(Math.floor(Math.random() * total));

  let worker: Worker | undefined;
  const idOf = new Map<number, string>();
  const hung = { requests: 0, closed: 0 };
  // /ok/<i> answers at once (and closes: no idle keep-alive socket stays behind); /hang/<i>
  // never answers, and cancels job i as soon as its request arrives.
  const web = http.createServer((req, res) => {
    const [, kind, i] = req.url!.split('/');
    if (kind === 'ok') {
      res.setHeader('connection', 'close');
      res.end(`ok ${i}`);
      return;
    }
    hung.requests++;
    req.socket.on('close', () => hung.closed++);
    worker!.cancelJob(idOf.get(Number(i))!, `random pick ${i}`);
  });
  const port = await listenLoopback(t, web);

  const baseline = resources();
  const name = `bullmq-${process.pid}-many`;
  const queue = new Queue<{ i: number }>(name, { connection });
  const processor = greenletProcessor<{ i: number }>((job) => get(`http://127.0.0.1:${port}/${doomed.has(job.data.i) ? 'hang' : 'ok'}/${job.data.i}`));
  const outcomes = new Map<number, Outcome>();
  // Added first, processed after: every id is known before the first request arrives.
  const jobs = await queue.addBulk(Array.from({ length: total }, (_, i) => ({ name: 'page', data: { i } })));
  for (const job of jobs) idOf.set(job.data.i, job.id!);
  worker = new Worker<{ i: number }>(name, processor, { connection, concurrency: 50 });
  worker.on('completed', (job: Job<{ i: number }>, value: unknown) => outcomes.set(job.data.i, { state: 'completed', value }));
  worker.on('failed', (job: Job<{ i: number }> | undefined, error: Error) => { if (job) outcomes.set(job.data.i, { state: 'failed', error }); });
  await until(() => outcomes.size === total);

  const wrong: string[] = [];
  for (let i = 0; i < total; i++) {
    const o = outcomes.get(i)!;
    if (doomed.has(i)) {
      if (!(o.state === 'failed' && o.error instanceof JobCancelled && o.error.reason === `random pick ${i}`)) wrong.push(`${i}: ${o.state} ${o.error}`);
    } else if (!(o.state === 'completed' && o.value === `ok ${i}`)) wrong.push(`${i}: ${o.state} ${o.error}`);
  }
  t.same(wrong, [], 'every cancelled job failed with JobCancelled, every other one completed with its value');
  t.equal(hung.requests, doomed.size);
  await until(() => hung.closed === doomed.size);
  t.pass('every cancelled job\'s request was closed at the server');
  t.equal(processor.greenlets.size, 0, 'no greenlet left');
  const counts = await queue.getJobCounts('completed', 'failed', 'active');
  t.same(counts, { completed: total - doomed.size, failed: doomed.size, active: 0 });

  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  t.same(await settledTo(baseline), baseline, 'no socket or timer left behind');
});

t.test('called from inside a greenlet (a worker made in one), the job still belongs to no greenlet', async (t) => {
  const started = new Set<string>();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  const processor = greenletProcessor(async (job: Job) => {
    started.add(String(getCurrent()!.parent));
    await gate;
    return job.data;
  });
  const fakeJob = { id: '1', name: 'fake', queueName: 'direct', data: 'kept' } as unknown as Job;
  let running!: Promise<unknown>;
  const caller = spawn(() => { running = processor(fakeJob, 'token', new AbortController().signal); });
  await caller;
  await until(() => started.size === 1);
  t.same([...started], ['null'], 'no parent');
  await caller.kill(); // dead already; a killed caller scope would not reach the job either
  const outer = spawn(async () => {
    const inner = processor({ ...fakeJob, id: '2' } as unknown as Job, 'token', new AbortController().signal);
    await sleep(60);
    return inner;
  });
  await until(() => processor.greenlets.size === 2);
  await outer.kill();
  t.equal(processor.greenlets.size, 2, 'killing the greenlet that called the processor leaves its job running');
  release();
  t.equal(await running, 'kept');
  await until(() => processor.greenlets.size === 0);
});
