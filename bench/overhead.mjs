// The runtime's own cost: spawn + join of N trivial tasks, against raw async functions with
// Promise.all and against Effect's forkChild + Fiber.join. Every variant runs in a fresh child
// process (so one variant's garbage or promise hooks never slow another), several rounds each; the
// best round counts. Heap per task is measured with every task created and none finished yet.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);

const variants = {
  // Plain promises in a process where no AsyncLocalStorage was ever used.
  raw: async (n) => {
    const f = async (i) => i;
    const tasks = new Array(n);
    for (let i = 0; i < n; i++) tasks[i] = f(i);
    const heap = process.memoryUsage().heapUsed;
    await Promise.all(tasks);
    return heap;
  },
  // The same, once an AsyncLocalStorage is active: the condition of every nodevent program on Node 20.
  'raw+ALS': async (n) => {
    const { AsyncLocalStorage } = await import('node:async_hooks');
    new AsyncLocalStorage().run({}, () => {});
    return variants.raw(n);
  },
  nodevent: async (n) => {
    const { spawn, joinAll } = await import('../dist/index.js');
    const f = async (i) => i;
    const greenlets = new Array(n);
    for (let i = 0; i < n; i++) greenlets[i] = spawn(f, i);
    const heap = process.memoryUsage().heapUsed;
    await joinAll(greenlets);
    return heap;
  },
  effect: async (n) => {
    const { Effect, Fiber } = await import('effect');
    let heap = 0;
    const program = Effect.gen(function* () {
      const fibers = new Array(n);
      for (let i = 0; i < n; i++) fibers[i] = yield* Effect.forkChild(Effect.succeed(i));
      heap = process.memoryUsage().heapUsed;
      for (const fiber of fibers) yield* Fiber.join(fiber);
    });
    await Effect.runPromise(program);
    return heap;
  },
};

async function child(name, n, rounds) {
  const run = variants[name];
  const results = [];
  for (let r = 0; r < rounds; r++) {
    globalThis.gc?.();
    const before = process.memoryUsage().heapUsed;
    const start = process.hrtime.bigint();
    const peak = await run(n);
    const ns = Number(process.hrtime.bigint() - start);
    results.push({ usPerTask: ns / 1000 / n, heapBytesPerTask: Math.max(0, peak - before) / n });
  }
  const best = results.reduce((a, b) => (a.usPerTask <= b.usPerTask ? a : b));
  const heapBytesPerTask = Math.min(...results.map((r) => r.heapBytesPerTask));
  process.stdout.write(JSON.stringify({ variant: name, n, rounds, usPerTask: best.usPerTask, heapBytesPerTask }));
}

/** Runs every variant in its own process; returns one row per variant. */
export function runOverhead({ n = 200_000, rounds = 5, only } = {}) {
  const rows = [];
  for (const name of only ?? Object.keys(variants)) {
    const out = execFileSync(process.execPath, ['--expose-gc', self, '--child', name, String(n), String(rounds)], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    rows.push(JSON.parse(out));
  }
  const raw = rows.find((r) => r.variant === 'raw');
  for (const row of rows) row.ratioToRaw = raw ? row.usPerTask / raw.usPerTask : null;
  return rows;
}

export function formatOverhead(rows) {
  const lines = ['variant    µs/task   ×raw   heap B/task', '---------  -------  -----  -----------'];
  for (const r of rows) {
    lines.push(`${r.variant.padEnd(9)}  ${r.usPerTask.toFixed(3).padStart(7)}  ${r.ratioToRaw.toFixed(2).padStart(5)}  ${Math.round(r.heapBytesPerTask).toString().padStart(11)}`);
  }
  return lines.join('\n');
}

if (process.argv[2] === '--child') {
  await child(process.argv[3], Number(process.argv[4]), Number(process.argv[5]));
} else if (process.argv[1] === self) {
  const n = Number(process.argv[2] ?? 200_000);
  const rows = runOverhead({ n });
  console.log(`spawn + join of ${n} trivial tasks, best of 5 rounds, each variant in its own process`);
  console.log(formatOverhead(rows));
}
