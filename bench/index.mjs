// `npm run bench`: the project's main job. Measures concurrent DNS resolution against a real DNS
// server (Debian's dnsmasq when installed, else the embedded one) behind a relay adding a round
// trip: Node's raw c-ares, nodevent's greenlets and patched lookup, gevent's ares resolver when
// installed, round after round at N = 1,000 / 5,000 / 10,000; and every variant (sequential, plain
// Node, worker_threads, child processes, ...) once at a small N. Then the runtime's own overhead.
// Writes bench/results/*.json and bench/results/dns.svg.
//
//   node bench/index.mjs [--n 1000,5000,10000] [--rounds 5] [--budget 260] [--small 100] [--rtt 0.05] [--procs 4]
//                        [--server auto|dnsmasq|embedded] [--relay auto|native|node] [--variants a,b] [--quick]
//                        [--no-overhead] [--out DIR] [--node auto|current|24]
//
// --node runs the whole bench on that Node line (installed from the npm registry by
// scripts/node-line.mjs when missing) instead of the node running this script. By default (auto)
// an end-of-life Node (20) measures on the newest line, 26, and a supported one on itself.
import { execFileSync, spawnSync, spawn as spawnProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { createNetns, netnsUnavailable } from '../dist/testing/index.js';
import { drawChart } from './chart.mjs';
import { chooseLine } from './node-choice.mjs';
import { formatOverhead, runOverhead } from './overhead.mjs';

// Measured once at the small N: the slow ways (a thread pool of 4, one at a time, ...).
const ALL = ['sequential', 'plain', 'workers', 'processes', 'cares', 'greenlets', 'patched', 'gevent-thread', 'gevent-ares'];
// Measured round after round at every large N: the ways that fan out without a thread pool.
const FAST = ['cares', 'cares-any', 'greenlets', 'patched', 'patched-any', 'gevent-ares'];
const NODEVENT = ['greenlets', 'patched', 'patched-any'];
/** The peers that send every question at once and wait out c-ares's timeouts when a burst is lost. */
const stallsAtScale = (variant) => variant.startsWith('cares') || variant === 'gevent-ares';
// Measured also in a process that has resolved other batches first (a program that has been
// running): the first batch of a process pays for V8 compiling the code it runs, later ones do not.
const WARMED = ['cares', 'greenlets', 'patched', 'gevent-ares'];
const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '1000,5000,10000' },
    rounds: { type: 'string', default: '5' },
    budget: { type: 'string', default: '260' },
    small: { type: 'string', default: '100' },
    rtt: { type: 'string', default: '0.05' },
    procs: { type: 'string', default: '4' },
    server: { type: 'string', default: 'auto' },
    relay: { type: 'string', default: 'auto' },
    variants: { type: 'string', default: [...new Set([...ALL, ...FAST])].join(',') },
    quick: { type: 'boolean', default: false },
    'no-overhead': { type: 'boolean', default: false },
    out: { type: 'string', default: fileURLToPath(new URL('./results/', import.meta.url)) },
    node: { type: 'string', default: 'auto' },
    warm: { type: 'string', default: '2' },
    'warm-n': { type: 'string', default: '1000' },
  },
});
const line = chooseLine(args.node, process.version);
if (line !== 'current') {
  if (args.node === 'auto') {
    console.error(`Node ${process.version} is end-of-life: the bench measures on Node ${line} (--node current measures this one)`);
  }
  // The same bench, on that line: every variant, the overhead and the report then name it.
  const lineScript = fileURLToPath(new URL('../scripts/node-line.mjs', import.meta.url));
  let bin;
  try {
    bin = execFileSync(process.execPath, [lineScript, line], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  } catch (error) {
    // Asked for by name, the line must be there; chosen by default, this Node does instead.
    if (args.node !== 'auto') throw error;
    console.error(`Node ${line} could not be installed: the bench measures on Node ${process.version}`);
  }
  if (bin !== undefined) {
    const run = spawnSync(bin, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
    process.exit(run.status ?? 1);
  }
}
const quick = args.quick;
const chosen = args.variants.split(',').filter(Boolean);
const known = [...new Set([...ALL, ...FAST])];
for (const v of chosen) if (!known.includes(v)) throw new RangeError(`--variants: unknown variant "${v}" (known: ${known.join(', ')})`);
if (!['auto', 'dnsmasq', 'embedded'].includes(args.server)) throw new RangeError(`--server: "${args.server}" is not auto, dnsmasq or embedded`);
if (!['auto', 'native', 'node'].includes(args.relay)) throw new RangeError(`--relay: "${args.relay}" is not auto, native or node`);
const sizes = quick ? [200] : args.n.split(',').filter(Boolean).map(Number);
const small = quick ? 20 : Number(args.small);
const rounds = quick ? 2 : Number(args.rounds);
for (const n of [...sizes, small]) if (!Number.isInteger(n) || n < 1) throw new RangeError(`--n/--small: "${args.n}", "${args.small}" are not positive integers`);
if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError(`--rounds: "${args.rounds}" is not a positive integer`);
const settings = {
  sizes, small, rounds,
  rtt: Number(args.rtt),
  procs: quick ? 2 : Number(args.procs),
  server: args.server,
  relay: args.relay,
  variants: chosen,
  // Seconds of DNS measuring after which no new round starts (keeps `npm run bench` under 5 min).
  budget: quick ? Infinity : Number(args.budget),
};
if (!(settings.budget > 0)) throw new RangeError(`--budget: "${args.budget}" is not a positive number of seconds`);
if (!(settings.rtt >= 0)) throw new RangeError(`--rtt: "${args.rtt}" is not a number of seconds`);
settings.warm = quick ? 0 : Number(args.warm);
settings.warmN = Number(args['warm-n']);
if (!Number.isInteger(settings.warm) || settings.warm < 0) throw new RangeError(`--warm: "${args.warm}" is not a whole number of batches`);
if (!Number.isInteger(settings.warmN) || settings.warmN < 0) throw new RangeError(`--warm-n: "${args['warm-n']}" is not a whole number of names (0: none)`);
settings.plan = [
  ...ALL.filter((v) => chosen.includes(v)).map((variant) => ({ variant, n: small, rounds: 1 })),
  // Raw c-ares and gevent's ares resolver at 5,000 names and more stall in most rounds, each stall
  // seconds of c-ares's own timeouts: three rounds show it, and leave the time for five of the others.
  ...sizes.flatMap((n) => FAST.filter((v) => chosen.includes(v)).map((variant) => ({ variant, n, rounds: stallsAtScale(variant) && n >= 5000 ? Math.min(rounds, 3) : rounds }))),
  // Three rounds: a stalled batch (gevent's, raw c-ares's) costs seconds, and each round has several.
  ...(settings.warm > 0 && settings.warmN > 0
    ? WARMED.filter((v) => chosen.includes(v)).map((variant) => ({ variant, n: settings.warmN, warm: settings.warm, rounds: Math.min(rounds, 3) }))
    : []),
];

const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
const load = os.loadavg()[0];
console.log(`nodevent bench — ${machine}; load average at start ${load.toFixed(2)}`);
console.log(`DNS: RTT ${settings.rtt * 1000} ms, every variant at N = ${small}; ${sizes.join(', ')} × ${rounds} rounds for ${FAST.filter((v) => chosen.includes(v)).join(', ')} (raw c-ares and gevent-ares: 3 at N ≥ 5,000)`);

/** Runs bench/dns.mjs in a private namespace whose resolv.conf points at its own 127.0.0.1. */
async function measureDns() {
  const why = netnsUnavailable();
  if (why) {
    console.log(`DNS bench skipped: ${why}. Every variant resolves through resolv.conf (getaddrinfo or`);
    console.log('c-ares), and only a private network namespace lets that reach the bench\'s server without');
    console.log('touching this machine\'s own resolv.conf; no variant was measured against another server.');
    return { skipped: why, rows: [] };
  }
  const ns = createNetns(`nodevent-bench-${process.pid}`, {
    // No options line, as Debian writes it: glibc waits 5 s × 2 attempts, c-ares its own defaults.
    'resolv.conf': 'nameserver 127.0.0.1\n',
    hosts: '127.0.0.1 localhost\n::1 localhost\n',
  });
  const rows = [];
  let server = '';
  let relay = '';
  let gevent = '';
  let budget = null;
  const slow = [];
  // Without a terminal (CI, logs) the bar is printed every 10 s instead of redrawn.
  const bar = new cliProgress.SingleBar({ format: ' {bar} {value}/{total} {step}', hideCursor: true, clearOnComplete: true, stream: process.stderr, noTTYOutput: true, notTTYSchedule: 10_000 }, cliProgress.Presets.shades_classic);
  const script = fileURLToPath(new URL('./dns.mjs', import.meta.url));
  const child = spawnProcess(ns.exec[0], [...ns.exec.slice(1), process.execPath, script, JSON.stringify(settings)], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  // Interrupted: the measuring side (its own process group: relay, dnsmasq, variant) goes too.
  const stop = (signal) => {
    try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
    ns.remove();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    let buffer = '';
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      let at;
      while ((at = buffer.indexOf('\n')) !== -1) {
        const event = JSON.parse(buffer.slice(0, at));
        buffer = buffer.slice(at + 1);
        if (event.type === 'plan') {
          gevent = event.gevent;
          server = event.server;
          relay = event.relay;
          bar.start(event.total, 0, { step: '' });
        } else if (event.type === 'start') bar.update({ step: `${event.variant} N=${event.n} round ${event.round + 1}` });
        else if (event.type === 'budget') budget = event;
        else if (event.type === 'slow') {
          slow.push(event);
          bar.setTotal(bar.getTotal() - event.skipped);
        }
        else if (event.type === 'result') {
          const { type, ...row } = event;
          rows.push(row);
          bar.increment();
        }
      }
    });
    const code = await new Promise((resolve) => child.on('close', resolve));
    bar.stop();
    if (code !== 0) throw new Error(`bench/dns.mjs exited with ${code}`);
  } finally {
    bar.stop();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    ns.remove();
  }
  return { rows, server, relay, gevent, namespace: ns.kind, budget, slow };
}

function family(variant) {
  if (NODEVENT.includes(variant)) return 'nodevent';
  if (variant.startsWith('gevent')) return 'gevent';
  return 'Node without nodevent';
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** One summary per variant and N: min/median/max over rounds, failures, retransmits, drops. */
function summarize(rows) {
  const groups = new Map();
  for (const r of rows) {
    const key = `${r.variant} ${r.n} ${r.warm ?? 0}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(r);
  }
  return [...groups.values()].map((list) => {
    const ok = list.filter((r) => typeof r.ms === 'number');
    const ms = ok.map((r) => r.ms);
    return {
      variant: list[0].variant, n: list[0].n, warm: list[0].warm ?? 0, family: family(list[0].variant), rounds: list.length,
      error: ok.length === 0 ? list[0].error : undefined,
      ms: ms.length ? median(ms) : undefined, min: ms.length ? Math.min(...ms) : undefined, max: ms.length ? Math.max(...ms) : undefined,
      failed: ok.reduce((a, r) => a + r.failed, 0), resolved: ok.reduce((a, r) => a + r.resolved, 0),
      retransmits: ok.reduce((a, r) => a + (r.retransmits ?? 0), 0), drops: ok.reduce((a, r) => a + (r.drops ?? 0), 0),
      // Of those, dropped by the server's socket (the Node variants tell; gevent's script does not).
      serverDrops: ok.some((r) => typeof r.serverDrops === 'number') ? ok.reduce((a, r) => a + (r.serverDrops ?? 0), 0) : undefined,
      // A stalled round: over a second slower than the variant's best, a resolv.conf-scale timeout.
      stalled: ms.filter((m) => m > Math.min(...ms) + 1000).length,
      maxRssKb: Math.max(...ok.map((r) => r.maxRssKb ?? 0)),
      // CPU µs per name in the measuring process (median over rounds): robust to a loaded machine.
      cpuUsPerName: ok.some((r) => typeof r.cpuMs === 'number') ? median(ok.filter((r) => typeof r.cpuMs === 'number').map((r) => (r.cpuMs * 1000) / r.n)) : undefined,
    };
  });
}

const fmt = (ms) => (ms === undefined ? '—' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

function formatDns(summary) {
  const lines = [];
  const groups = [...new Set(summary.map((r) => `${r.warm} ${r.n}`))].map((k) => k.split(' ').map(Number)).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  for (const [warm, n] of groups) {
    const group = summary.filter((r) => r.n === n && r.warm === warm);
    const fastest = Math.min(...group.filter((r) => r.ms !== undefined).map((r) => r.ms));
    const rounds = Math.max(...group.map((r) => r.rounds));
    const after = warm > 0 ? `, after ${warm} other batch${warm > 1 ? 'es' : ''} of ${n} in the same process (retransmits/drops: all batches)` : '';
    lines.push(`\nN = ${n}${after}${rounds > 1 ? ` (${rounds} rounds; failed/retransmits/drops summed over them)` : ''}`);
    lines.push('variant        median    min       max       ×fastest  stalls  failed  retransmits  drops  peak RSS  CPU/name');
    lines.push('-------------  --------  --------  --------  --------  ------  ------  -----------  -----  --------  --------');
    for (const r of group.sort((a, b) => (a.ms ?? Infinity) - (b.ms ?? Infinity))) {
      if (r.error) {
        lines.push(`${r.variant.padEnd(13)}  ${r.error}`);
        continue;
      }
      lines.push([r.variant.padEnd(13), fmt(r.ms).padStart(8), fmt(r.min).padStart(8), fmt(r.max).padStart(8), (r.ms / fastest).toFixed(2).padStart(8),
        String(r.stalled).padStart(6), String(r.failed).padStart(6), String(r.retransmits).padStart(11), String(r.drops).padStart(5), `${Math.round(r.maxRssKb / 1024)} MB`.padStart(8), (r.cpuUsPerName === undefined ? '—' : `${Math.round(r.cpuUsPerName)} µs`).padStart(8)].join('  '));
    }
  }
  return lines.join('\n');
}

const dnsResult = await measureDns();
for (const row of dnsResult.rows) row.family = family(row.variant);
dnsResult.summary = summarize(dnsResult.rows);
if (dnsResult.rows.length) {
  console.log(`\nserver: ${dnsResult.server}, behind a relay adding ${settings.rtt * 1000} ms: ${dnsResult.relay}; namespace: ${dnsResult.namespace}`);
  console.log(formatDns(dnsResult.summary));
  console.log(`\ngevent: ${dnsResult.gevent}`);
  for (const s of dnsResult.slow) console.log(`not run again: ${s.variant} at N = ${s.n}${s.warm ? ' (warmed)' : ''}, whose round took ${fmt(s.ms)} (over 20 s): ${s.skipped} later round${s.skipped > 1 ? 's' : ''} skipped`);
  if (dnsResult.budget) console.log(`time budget (--budget ${settings.budget} s) spent: ${dnsResult.budget.rounds} of ${rounds} rounds at most (${dnsResult.budget.skipped} runs skipped)`);
  console.log('stalls: rounds over 1 s slower than the variant\'s best; retransmits: questions the relay saw more than once');
  console.log('in a round; drops: datagrams the kernel dropped in the namespace (full socket buffers)');
}

let overhead = [];
if (!args['no-overhead']) {
  const n = quick ? 20_000 : 200_000;
  console.log(`\nRuntime overhead: spawn + join of ${n} trivial tasks, each variant in its own process`);
  overhead = runOverhead({ n, rounds: quick ? 2 : 5 });
  console.log(formatOverhead(overhead));
}

const out = args.out;
mkdirSync(out, { recursive: true });
const report = { date: new Date().toISOString(), machine, loadAverageAtStart: load, settings, quick, dns: dnsResult, overhead };
const name = quick ? 'quick' : 'latest';
writeFileSync(join(out, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
if (dnsResult.rows.length) {
  const svg = await drawChart(dnsResult.summary.filter((r) => r.ms !== undefined && !r.warm), {
    title: 'Concurrent DNS resolution: median wall time by variant',
    subtitle: `${dnsResult.server} + ${settings.rtt * 1000} ms RTT · ${machine}`,
  });
  writeFileSync(join(out, `${quick ? 'quick' : 'dns'}.svg`), svg);
}
console.log(`\nresults: ${join(out, `${name}.json`)}${dnsResult.rows.length ? `, chart: ${join(out, `${quick ? 'quick' : 'dns'}.svg`)}` : ''}`);
