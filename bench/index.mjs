// `npm run bench`: the project's main job. Measures concurrent DNS resolution — sequential, plain
// Node, worker_threads, child processes, nodevent greenlets, patched Node, and gevent when it is
// installed — against an embedded DNS server with a simulated round trip, then the runtime's own
// overhead. Writes bench/results/*.json and bench/results/dns.svg.
//
//   node bench/index.mjs [--n 200,1000] [--big 10000] [--rtt 0.05] [--procs 4] [--quick]
//                        [--variants a,b] [--no-overhead] [--out DIR]
import { spawn as spawnProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { createNetns, netnsUnavailable } from '../dist/testing/index.js';
import { drawChart } from './chart.mjs';
import { formatOverhead, runOverhead } from './overhead.mjs';

const ALL = ['sequential', 'plain', 'workers', 'processes', 'greenlets', 'patched'];
const NODEVENT = ['greenlets', 'patched'];
const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '200,1000' },
    big: { type: 'string', default: '10000' },
    rtt: { type: 'string', default: '0.05' },
    procs: { type: 'string', default: '4' },
    variants: { type: 'string', default: ALL.join(',') },
    quick: { type: 'boolean', default: false },
    'no-overhead': { type: 'boolean', default: false },
    out: { type: 'string', default: fileURLToPath(new URL('./results/', import.meta.url)) },
  },
});
const quick = args.quick;
const settings = {
  sizes: quick ? [20] : args.n.split(',').map(Number),
  bigN: quick ? 200 : Number(args.big) || 0,
  bigVariants: NODEVENT,
  rtt: Number(args.rtt),
  procs: quick ? 2 : Number(args.procs),
  variants: args.variants.split(',').filter(Boolean),
};
for (const v of settings.variants) if (!ALL.includes(v)) throw new RangeError(`--variants: unknown variant "${v}" (known: ${ALL.join(', ')})`);
for (const n of settings.sizes) if (!Number.isInteger(n) || n < 1) throw new RangeError(`--n: "${args.n}" is not a list of positive integers`);
if (!(settings.rtt >= 0)) throw new RangeError(`--rtt: "${args.rtt}" is not a number of seconds`);

const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
console.log(`nodevent bench — ${machine}`);
console.log(`DNS: simulated RTT ${settings.rtt * 1000} ms, N = ${settings.sizes.join(', ')}${settings.bigN ? ` (+ ${settings.bigN} for nodevent)` : ''}, ${settings.procs} workers/processes`);

/** Runs bench/dns.mjs in a private namespace whose resolv.conf points at its own 127.0.0.1. */
async function measureDns() {
  const why = netnsUnavailable();
  if (why) {
    console.log(`DNS bench skipped: ${why}. Every variant resolves through resolv.conf (getaddrinfo or`);
    console.log('c-ares), and only a private network namespace lets that reach the embedded server without');
    console.log('touching this machine\'s own resolv.conf; no variant was measured against another server.');
    return { skipped: why, rows: [] };
  }
  const ns = createNetns(`nodevent-bench-${process.pid}`, {
    'resolv.conf': 'nameserver 127.0.0.1\noptions timeout:5 attempts:2\n',
    hosts: '127.0.0.1 localhost\n::1 localhost\n',
  });
  const rows = [];
  let server = null;
  let gevent = '';
  const bar = new cliProgress.SingleBar({ format: ' {bar} {value}/{total} {step}', hideCursor: true, clearOnComplete: true, stream: process.stderr }, cliProgress.Presets.shades_classic);
  try {
    const script = fileURLToPath(new URL('./dns.mjs', import.meta.url));
    const child = spawnProcess(ns.exec[0], [...ns.exec.slice(1), process.execPath, script, JSON.stringify(settings)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let buffer = '';
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      let at;
      while ((at = buffer.indexOf('\n')) !== -1) {
        const event = JSON.parse(buffer.slice(0, at));
        buffer = buffer.slice(at + 1);
        if (event.type === 'plan') {
          gevent = event.gevent;
          bar.start(event.total, 0, { step: '' });
        } else if (event.type === 'start') bar.update({ step: `${event.variant} N=${event.n}` });
        else if (event.type === 'result') {
          const { type, ...row } = event;
          rows.push(row);
          bar.increment();
        } else if (event.type === 'server') server = event;
      }
    });
    const code = await new Promise((resolve) => child.on('close', resolve));
    bar.stop();
    if (code !== 0) throw new Error(`bench/dns.mjs exited with ${code}`);
  } finally {
    bar.stop();
    ns.remove();
  }
  return { rows, server, gevent };
}

function family(variant) {
  if (NODEVENT.includes(variant)) return 'nodevent';
  if (variant.startsWith('gevent')) return 'gevent';
  return 'Node without nodevent';
}

function formatDns(rows) {
  const lines = [];
  for (const n of [...new Set(rows.map((r) => r.n))]) {
    const group = rows.filter((r) => r.n === n);
    const fastest = Math.min(...group.filter((r) => typeof r.ms === 'number').map((r) => r.ms));
    lines.push(`\nN = ${n}`);
    lines.push('variant         wall time   ×fastest  resolved  failed  peak RSS');
    lines.push('--------------  ----------  --------  --------  ------  --------');
    for (const r of group.sort((a, b) => (a.ms ?? Infinity) - (b.ms ?? Infinity))) {
      if (r.error) {
        lines.push(`${r.variant.padEnd(14)}  ${r.error}`);
        continue;
      }
      const wall = r.ms >= 1000 ? `${(r.ms / 1000).toFixed(2)} s` : `${r.ms.toFixed(1)} ms`;
      lines.push(`${r.variant.padEnd(14)}  ${wall.padStart(10)}  ${(r.ms / fastest).toFixed(1).padStart(8)}  ${String(r.resolved).padStart(8)}  ${String(r.failed).padStart(6)}  ${`${Math.round(r.maxRssKb / 1024)} MB`.padStart(8)}`);
    }
  }
  return lines.join('\n');
}

const dnsResult = await measureDns();
for (const row of dnsResult.rows) row.family = family(row.variant);
if (dnsResult.rows.length) {
  console.log(formatDns(dnsResult.rows));
  console.log(`\ngevent: ${dnsResult.gevent}`);
  if (dnsResult.server) console.log(`server: ${dnsResult.server.queries} queries, ${dnsResult.server.answered} answered, ${dnsResult.server.dropped} dropped`);
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
const report = { date: new Date().toISOString(), machine, settings, quick, dns: dnsResult, overhead };
const name = quick ? 'quick' : 'latest';
writeFileSync(join(out, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
if (dnsResult.rows.length) {
  const svg = await drawChart(dnsResult.rows, {
    title: 'Concurrent DNS resolution: wall time by variant',
    subtitle: `${settings.rtt * 1000} ms simulated RTT · ${machine}`,
  });
  writeFileSync(join(out, `${quick ? 'quick' : 'dns'}.svg`), svg);
}
console.log(`\nresults: ${join(out, `${name}.json`)}${dnsResult.rows.length ? `, chart: ${join(out, `${quick ? 'quick' : 'dns'}.svg`)}` : ''}`);
