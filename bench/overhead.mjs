// The runtime's own cost: spawn + join of N trivial tasks, against raw async functions with
// Promise.all and against Effect's forkChild + Fiber.join. Every variant runs in a fresh child
// process (so one variant's garbage or promise hooks never slow another), several rounds each; the
// best round counts. Heap per task is measured with every task created and none finished yet.
//
//   node bench/overhead.mjs [N] [--rounds 5]             on this node
//   node bench/overhead.mjs --node 24                     on Node 24 (installed by scripts/node-line.mjs)
//   node bench/overhead.mjs --node 20,22,24,26 --markdown the README's table, one row per line
//   npm run bench:overhead -- --node 24                   the same, after a build
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

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
  // The floor of any runtime that gives each task its own AsyncLocalStorage value (each body's
  // continuations must see their own greenlet): raw promises, each started inside its own
  // `als.run`. On Node 24+ every run makes context frames, which plain promises never pay for.
  'raw+run': async (n) => {
    const { AsyncLocalStorage } = await import('node:async_hooks');
    const als = new AsyncLocalStorage();
    const f = async (i) => i;
    const tasks = new Array(n);
    for (let i = 0; i < n; i++) tasks[i] = als.run(i, f, i);
    const heap = process.memoryUsage().heapUsed;
    await Promise.all(tasks);
    return heap;
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

/**
 * Runs every variant in its own process of `node` (default: this one); returns one row per variant.
 */
export function runOverhead({ n = 200_000, rounds = 5, only, node = process.execPath } = {}) {
  const rows = [];
  for (const name of only ?? Object.keys(variants)) {
    const out = execFileSync(node, ['--expose-gc', self, '--child', name, String(n), String(rounds)], {
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

/** One Markdown row per Node line: µs/task and heap B/task of every variant, nodevent's ratios. */
export function formatOverheadMarkdown(byLine) {
  const cell = (r) => (r ? `${r.usPerTask.toFixed(2)} µs · ${Math.round(r.heapBytesPerTask)} B` : '–');
  const lines = [
    '| Node | raw promises | raw + one ALS active | raw, each in its own `als.run` | nodevent | Effect | own run ×raw | nodevent ×raw | nodevent ×Effect |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const { version, rows } of byLine) {
    const get = (v) => rows.find((r) => r.variant === v);
    const [raw, als, run, nv, effect] = ['raw', 'raw+ALS', 'raw+run', 'nodevent', 'effect'].map(get);
    const ratio = (a, b) => (a && b ? `${(a.usPerTask / b.usPerTask).toFixed(2)}x` : '–');
    lines.push(`| ${version.slice(1)} | ${cell(raw)} | ${cell(als)} | ${cell(run)} | ${cell(nv)} | ${cell(effect)} | ${ratio(run, raw)} | ${ratio(nv, raw)} | ${ratio(nv, effect)} |`);
  }
  return lines.join('\n');
}

/** The node binary of a line ('24', '26.12.1'; 'current' for this one), installed when missing. */
function nodeFor(line) {
  if (line === 'current') return process.execPath;
  const installer = fileURLToPath(new URL('../scripts/node-line.mjs', import.meta.url));
  return execFileSync(process.execPath, [installer, line], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

if (process.argv[2] === '--child') {
  await child(process.argv[3], Number(process.argv[4]), Number(process.argv[5]));
} else if (process.argv[1] === self) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      node: { type: 'string', default: 'current' },
      rounds: { type: 'string', default: '5' },
      markdown: { type: 'boolean', default: false },
    },
  });
  const n = Number(positionals[0] ?? 200_000);
  const rounds = Number(values.rounds);
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`N must be a positive integer, got ${positionals[0]}`);
  if (!Number.isInteger(rounds) || rounds <= 0) throw new RangeError(`--rounds must be a positive integer, got ${values.rounds}`);
  const byLine = [];
  for (const line of values.node.split(',').map((l) => l.trim()).filter(Boolean)) {
    const node = nodeFor(line);
    const version = execFileSync(node, ['-v'], { encoding: 'utf8' }).trim();
    const rows = runOverhead({ n, rounds, node });
    byLine.push({ version, rows });
    if (!values.markdown) {
      console.log(`Node ${version}: spawn + join of ${n} trivial tasks, best of ${rounds} rounds, each variant in its own process`);
      console.log(formatOverhead(rows));
    }
  }
  if (values.markdown) console.log(formatOverheadMarkdown(byLine));
}
