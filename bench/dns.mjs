// The DNS benchmark's measuring side. Runs inside a private network namespace (bench/index.mjs
// makes it) whose resolv.conf says `nameserver 127.0.0.1`. It serves h*.bench.test from a real
// server — Debian's dnsmasq when installed, else nodevent's embedded one — behind a relay on the
// namespace's 127.0.0.1:53 that adds the round trip; then runs every variant in its own child
// process, round after round, and prints one JSON line per event on stdout.
import { execFileSync, spawn as spawnProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startDnsServer } from '../dist/testing/dns-server.js';
import { findDnsmasq, startDnsmasq } from '../dist/testing/dnsmasq.js';
import { startRelay } from './relay.mjs';

const options = JSON.parse(process.argv[2]);
const { rtt, procs, plan: wanted, server: serverChoice = 'auto', relay: relayChoice = 'auto' } = options;
const variantScript = fileURLToPath(new URL('./dns-variant.mjs', import.meta.url));
const geventScript = fileURLToPath(new URL('./gevent_dns.py', import.meta.url));
const emit = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);
const UPSTREAM_PORT = 5353;

function findGevent() {
  for (const python of ['/usr/bin/python3', 'python3']) {
    try {
      execFileSync(python, ['-c', 'import gevent, gevent.resolver.ares'], { stdio: 'ignore' });
      return python;
    } catch {
      // not this one
    }
  }
  return null;
}

function runChild(command, args, limitSeconds) {
  return new Promise((resolve) => {
    const child = spawnProcess(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), limitSeconds * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop();
      try {
        resolve(JSON.parse(line));
      } catch {
        resolve({ error: signal ? `killed after ${limitSeconds} s` : `exit code ${code}` });
      }
    });
  });
}

// Names h0 … h{maxN-1}: a warm step's earlier batches take the names after its own.
const maxN = Math.max(...wanted.map((s) => s.n * (1 + (s.warm ?? 0))));
const address = (i) => `127.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

/** dnsmasq, authoritative for bench.test from a hosts file, on 127.0.0.1:5353. */
async function startRealServer() {
  const hosts = new Map();
  for (let i = 0; i < maxN; i++) hosts.set(`h${i}.bench.test`, [address(i)]);
  const server = await startDnsmasq({ hosts, local: ['bench.test'], port: UPSTREAM_PORT });
  return { name: `dnsmasq (${server.version})`, close: () => server.close() };
}

async function startEmbedded() {
  const records = {};
  for (let i = 0; i < maxN; i++) records[`h${i}.bench.test`] = { A: [address(i)] };
  const server = await startDnsServer({ host: '127.0.0.1', port: UPSTREAM_PORT, records });
  const why = serverChoice === 'embedded' ? 'chosen with --server embedded' : 'dnsmasq not found; Debian: apt-get install dnsmasq-base';
  return { name: `nodevent's embedded test server (${why})`, close: () => server.close() };
}

const dnsmasq = serverChoice === 'embedded' ? null : findDnsmasq();
if (serverChoice === 'dnsmasq' && !dnsmasq) throw new Error('--server dnsmasq: dnsmasq not found (Debian: apt-get install dnsmasq-base)');
const server = dnsmasq ? await startRealServer() : await startEmbedded();
const relay = await startRelay({ kind: relayChoice, port: 53, upstream: { host: '127.0.0.1', port: UPSTREAM_PORT }, rtt });

const python = findGevent();
// Round-major: round 1 of every (N, variant), then round 2, ... so the variants compared with each
// other ran under the same load, and when the time budget would be overrun (no new round starts
// that would end after it; the first always runs) every N has had the same rounds.
const steps = wanted.filter((step) => !step.variant.startsWith('gevent-') || python);
const budgetMs = (options.budget ?? Infinity) * 1000;
const plan = [];
for (let round = 0; round < Math.max(...steps.map((s) => s.rounds)); round++) {
  for (const step of steps) if (round < step.rounds) plan.push({ ...step, round });
}
const started = performance.now();
emit({
  type: 'plan', total: plan.length, server: server.name, relay: relay.kind,
  gevent: python ? 'measured' : 'skipped: no python3 with gevent (Debian: apt-get install python3-gevent)',
});

let budget = null;
/**
 * A step one of whose rounds took longer than this (ms) is not run again: gevent's ares resolver
 * took 77 s over 5,000 names in one round, and repeating such a round would spend the time every
 * other variant's rounds need. Its row keeps the rounds it had.
 */
const SLOW_MS = 20_000;
const slow = new Set();
// How long each step's runs took so far (ms, the child process's whole life): a round is
// predicted from its own steps, since later rounds may have fewer (see the plan's rounds).
const took = new Map();
const keyOf = (step) => `${step.variant} ${step.n} ${step.warm ?? 0}`;
const predicted = (round) => {
  let ms = 0;
  for (const step of plan) {
    if (step.round !== round || slow.has(keyOf(step))) continue;
    const runs = took.get(keyOf(step)) ?? [];
    ms += runs.length > 0 ? runs.reduce((a, b) => a + b, 0) / runs.length : 0;
  }
  return ms;
};
for (let i = 0; i < plan.length; i++) {
  const step = plan[i];
  if (slow.has(keyOf(step))) continue;
  // A new round starts only if, at the pace its steps had in the rounds before, it would end
  // within the budget.
  const elapsed = performance.now() - started;
  if (i > 0 && step.round > plan[i - 1].round && elapsed + predicted(step.round) > budgetMs) {
    budget = { rounds: step.round, skipped: plan.length - i };
    break;
  }
  const stepStarted = performance.now();
  emit({ type: 'start', variant: step.variant, n: step.n, warm: step.warm, round: step.round });
  await relay.reset();
  // Generous limits: the sequential variant needs n × rtt, and plain Node about n × rtt / 4.
  const warm = step.warm ?? 0;
  const limit = (60 + step.n * rtt * 2) * (1 + warm);
  const row = step.variant.startsWith('gevent-')
    ? await runChild(python, [geventScript, String(step.n), step.variant.slice('gevent-'.length), String(warm)], limit)
    : await runChild(process.execPath, [variantScript, step.variant, String(step.n), String(procs), String(warm)], limit);
  const stepMs = performance.now() - stepStarted;
  took.set(keyOf(step), [...(took.get(keyOf(step)) ?? []), stepMs]);
  const later = plan.filter((s, j) => j > i && keyOf(s) === keyOf(step)).length;
  if (stepMs > SLOW_MS && later > 0) {
    slow.add(keyOf(step));
    emit({ type: 'slow', variant: step.variant, n: step.n, warm, ms: stepMs, skipped: later });
  }
  const seen = await relay.reset();
  emit({ type: 'result', ...row, variant: step.variant, n: step.n, warm, round: step.round, queries: seen.queries, retransmits: seen.queries - seen.distinct });
}
if (budget) emit({ type: 'budget', ...budget });
await relay.close();
await server.close();
