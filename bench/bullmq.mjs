// What running each BullMQ job in a greenlet costs: jobs/s of a Worker processing N trivial jobs
// (the job returns its data) with a plain async processor, and with greenletProcessor (with and
// without a per-job timeout), against one redis-server started for the run.
//
// Every measurement runs in a fresh child process, so a variant never inherits another's garbage
// or promise hooks. In each round all variants run at once, each on its own queue: whatever else
// loads the machine (other jobs, a neighbour's build) loads each of them alike, and the figures
// are medians over the rounds of ratios within a round. Jobs/s is wall time; the worker process's
// CPU time per job is what a greenlet adds when the worker is the bottleneck. `plain+ALS` is the
// plain processor in a process where nodevent is loaded and an AsyncLocalStorage is active — the
// condition of every nodevent program on Node 20 — so `bridge` against it is the greenlet's own
// cost, and `plain` against it the cost of the AsyncLocalStorage. `signal+ALS` also takes BullMQ's
// signal (three parameters), as a cancellable job must without the bridge: BullMQ then makes an
// AbortController per job, for it as for greenletProcessor. Last, the processor alone is timed
// without Redis.
//
//   npm run build && node bench/bullmq.mjs [--jobs 10000] [--concurrency 50] [--rounds 5] [--json FILE]
import { execFileSync, fork } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const self = fileURLToPath(import.meta.url);
const VARIANTS = ['plain', 'plain+ALS', 'signal+ALS', 'bridge', 'bridge+timeout'];

async function processorFor(variant) {
  const trivial = async (job) => job.data.i;
  if (variant === 'plain') return trivial;
  const { spawn } = await import('../dist/index.js');
  await spawn(() => {}); // the AsyncLocalStorage is active from here on, as in any nodevent program
  if (variant === 'plain+ALS') return trivial;
  // Three parameters: BullMQ makes an AbortSignal per job, as it does for greenletProcessor.
  if (variant === 'signal+ALS') return async (job, _token, _signal) => job.data.i;
  const { greenletProcessor } = await import('../dist/bullmq/index.js');
  return greenletProcessor(trivial, variant === 'bridge+timeout' ? { timeout: 30 } : {});
}

/** One measurement: N jobs queued first, then the time for a worker to complete them all. */
async function child(variant, port, jobs, concurrency) {
  const { Queue, Worker } = await import('bullmq');
  const connection = { host: '127.0.0.1', port };
  const processor = await processorFor(variant);
  const name = `bench-${process.pid}`;
  const queue = new Queue(name, { connection });
  await queue.obliterate({ force: true });
  for (let i = 0; i < jobs; i += 1000) {
    await queue.addBulk(Array.from({ length: Math.min(1000, jobs - i) }, (_, k) => ({ name: 'job', data: { i: i + k }, opts: { removeOnComplete: true } })));
  }
  const worker = new Worker(name, processor, { connection, concurrency, autorun: false });
  await worker.waitUntilReady();
  if (process.send) {
    process.send('ready');
    await once(process, 'message'); // 'go': every variant starts its timed part together
  }
  let completed = 0;
  let failed = 0;
  let start;
  const done = new Promise((resolve) => {
    worker.on('completed', () => { if (++completed + failed === jobs) resolve(); });
    worker.on('failed', () => { if (completed + ++failed === jobs) resolve(); });
  });
  const cpu = process.cpuUsage();
  start = process.hrtime.bigint();
  void worker.run();
  await done;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  const row = { variant, jobs, completed, failed, seconds, jobsPerSecond: jobs / seconds, cpuUsPerJob: (used.user + used.system) / jobs };
  if (process.send) {
    process.send(row);
    process.disconnect();
  } else process.stdout.write(JSON.stringify(row));
}

async function main() {
  const { values } = parseArgs({
    options: {
      jobs: { type: 'string', default: '10000' },
      concurrency: { type: 'string', default: '50' },
      rounds: { type: 'string', default: '5' },
      json: { type: 'string' },
    },
  });
  const jobs = Number(values.jobs);
  const concurrency = Number(values.concurrency);
  const rounds = Number(values.rounds);
  for (const [name, value] of [['--jobs', jobs], ['--concurrency', concurrency], ['--rounds', rounds]]) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${values[name.slice(2)]}`);
  }
  const { startRedisServer } = await import('../dist/testing/index.js');
  const redis = await startRedisServer();
  /** Starts one child per variant; once every one has queued its jobs, they all start at once. */
  const measureAll = async () => {
    const children = VARIANTS.map((variant) => fork(self, ['--child', variant, String(redis.port), String(jobs), String(concurrency)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
    const messages = children.map((child) => {
      const queue = [];
      const waiters = [];
      child.on('message', (m) => (waiters.length ? waiters.shift()(m) : queue.push(m)));
      child.on('exit', (code) => { if (code !== 0) waiters.splice(0).forEach((w) => w({ error: `exit ${code}` })); });
      return () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => waiters.push(r)));
    });
    const ready = await Promise.all(messages.map((next) => next()));
    if (ready.some((m) => m !== 'ready')) throw new Error(`a child failed: ${JSON.stringify(ready)}`);
    for (const child of children) child.send('go');
    const rows = await Promise.all(messages.map((next) => next()));
    for (const row of rows) if (row.error || row.failed > 0) throw new Error(`a child failed: ${JSON.stringify(row)}`);
    return rows;
  };
  const rounds_ = [];
  try {
    for (let round = 0; round < rounds; round++) {
      // All variants at once: whatever else loads the machine loads each of them alike.
      const rows = await measureAll();
      rounds_.push(Object.fromEntries(rows.map((r) => [r.variant, r])));
      process.stderr.write(`round ${round + 1}/${rounds}: ${rows.map((r) => `${r.variant} ${Math.round(r.jobsPerSecond)} jobs/s ${r.cpuUsPerJob.toFixed(0)} µs`).join(', ')}\n`);
    }
  } finally {
    await redis.stop();
  }
  const directRows = ['signal+ALS', 'bridge', 'bridge+timeout'].map((variant) =>
    JSON.parse(execFileSync(process.execPath, [self, '--direct', variant, '20000'], { encoding: 'utf8' })));
  // Each figure is the median over the rounds of a ratio between variants of the same round.
  const median = (xs) => { const v = [...xs].sort((a, b) => a - b); return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2; };
  const ratio = (variant, base, key) => median(rounds_.map((r) => r[variant][key] / r[base][key]));
  const pct = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(1)} %`;
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'cpu'}, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`;
  console.log(`BullMQ: ${jobs} trivial jobs per variant, concurrency ${concurrency}, ${rounds} rounds of all variants at once — ${machine}`);
  console.log('medians over the rounds; "vs" columns compare with the same round\'s plain+ALS');
  console.log('variant         jobs/s  jobs/s vs  worker CPU µs/job  CPU vs');
  console.log('--------------  ------  ---------  -----------------  --------');
  const summary = VARIANTS.map((variant) => ({
    variant,
    jobsPerSecond: median(rounds_.map((r) => r[variant].jobsPerSecond)),
    cpuUsPerJob: median(rounds_.map((r) => r[variant].cpuUsPerJob)),
    jobsPerSecondVsAls: ratio(variant, 'plain+ALS', 'jobsPerSecond'),
    cpuVsAls: ratio(variant, 'plain+ALS', 'cpuUsPerJob'),
  }));
  for (const r of summary) {
    const same = r.variant === 'plain+ALS';
    console.log(`${r.variant.padEnd(14)}  ${String(Math.round(r.jobsPerSecond)).padStart(6)}  ${(same ? '' : pct((r.jobsPerSecondVsAls - 1) * 100)).padStart(9)}  ${r.cpuUsPerJob.toFixed(1).padStart(17)}  ${(same ? '' : pct((r.cpuVsAls - 1) * 100)).padStart(8)}`);
  }
  const row = (v) => summary.find((r) => r.variant === v);
  const base = directRows[0].cpuUsPerJob;
  console.log('\nThe processor alone, called directly on 20000 fake jobs (no Redis), best of 5 — CPU µs/job:');
  for (const r of directRows) {
    const extra = r.variant === 'signal+ALS' ? '' : `   (+${(r.cpuUsPerJob - base).toFixed(1)} µs: ${((r.cpuUsPerJob - base) / row('signal+ALS').cpuUsPerJob * 100).toFixed(1)} % of a signal+ALS job in the worker)`;
    console.log(`${r.variant.padEnd(14)}  ${r.cpuUsPerJob.toFixed(2).padStart(7)}${extra}`);
  }
  if (values.json) writeFileSync(values.json, `${JSON.stringify({ date: new Date().toISOString(), machine, jobs, concurrency, rounds: rounds_, summary, direct: directRows }, null, 2)}\n`);
}

/**
 * The bridge's own CPU time per job, without Redis: each processor called directly on fake jobs,
 * 50 at a time, each with a fresh AbortSignal as BullMQ gives it. Steadier than the worker runs on
 * a busy machine, since nothing else (Redis, the network, BullMQ) is timed.
 */
async function direct(variant, jobs) {
  const processor = await processorFor(variant);
  const fake = (i) => ({ id: String(i), name: 'job', queueName: 'bench', data: { i } });
  const batch = async (from) => {
    const running = [];
    for (let i = from; i < from + 50; i++) running.push(processor(fake(i), 'token', new AbortController().signal));
    await Promise.all(running);
  };
  for (let i = 0; i < jobs; i += 50) await batch(i); // warm-up
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const cpu = process.cpuUsage();
    for (let i = 0; i < jobs; i += 50) await batch(i);
    const used = process.cpuUsage(cpu);
    best = Math.min(best, (used.user + used.system) / jobs);
  }
  process.stdout.write(JSON.stringify({ variant, cpuUsPerJob: best }));
}

if (process.argv[2] === '--direct') {
  await direct(process.argv[3], Number(process.argv[4]));
} else if (process.argv[2] === '--child') {
  const [, , , variant, port, jobs, concurrency] = process.argv;
  await child(variant, Number(port), Number(jobs), Number(concurrency));
} else {
  await main();
}
