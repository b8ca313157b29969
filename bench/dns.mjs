// The DNS benchmark's measuring side. Run inside a private network namespace (bench/index.mjs
// makes it) whose resolv.conf says `nameserver 127.0.0.1`: it serves h*.bench.test on that
// namespace's 127.0.0.1:53 with a simulated round trip, then runs every variant in its own child
// process, one after another, and prints one JSON line per event on stdout.
import { execFileSync, spawn as spawnProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startDnsServer } from '../dist/testing/dns-server.js';

const options = JSON.parse(process.argv[2]);
const { sizes, rtt, procs, variants, bigN, bigVariants, port = 53 } = options;
const variantScript = fileURLToPath(new URL('./dns-variant.mjs', import.meta.url));
const geventScript = fileURLToPath(new URL('./gevent_dns.py', import.meta.url));
const emit = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);

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

const maxN = Math.max(...sizes, bigN ?? 0);
const records = {};
for (let i = 0; i < maxN; i++) records[`h${i}.bench.test`] = { A: [`127.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`] };
const server = await startDnsServer({ host: '127.0.0.1', port, records, rtt });

const python = findGevent();
const plan = [];
for (const n of sizes) {
  for (const variant of variants) plan.push({ variant, n });
  if (python) for (const resolver of ['thread', 'ares']) plan.push({ variant: `gevent-${resolver}`, n, resolver });
}
if (bigN) for (const variant of bigVariants) plan.push({ variant, n: bigN });
emit({ type: 'plan', total: plan.length, gevent: python ? 'measured' : 'skipped: no python3 with gevent (Debian: python3-gevent)' });

for (const step of plan) {
  emit({ type: 'start', ...step });
  // Generous limits: the sequential variant needs n × rtt, and plain Node about n × rtt / 4.
  const limit = 60 + step.n * rtt * 2;
  const row = step.resolver
    ? await runChild(python, [geventScript, String(step.n), step.resolver], limit)
    : await runChild(process.execPath, [variantScript, step.variant, String(step.n), String(procs)], limit);
  emit({ type: 'result', variant: step.variant, n: step.n, ...row });
}
emit({ type: 'server', queries: server.stats.queries, answered: server.stats.answered, dropped: server.stats.dropped });
await server.close();
