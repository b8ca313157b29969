// Runs one variant of the DNS benchmark in this process and prints one JSON line:
// { variant, n, ms, resolved, failed, maxRssKb, drops, serverDrops, cpuMs, pacing }; drops: UDP datagrams the kernel dropped
// in the namespace during the run (full socket buffers, from /proc/net/udp). The names are h0.bench.test … h{n-1}.bench.test;
// the embedded server (bench/dns.mjs) answers them through the resolv.conf of the namespace.
import dns from 'node:dns';
import { fork } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';

const [variant, nText, procsText, warmText] = process.argv.slice(2);
const n = Number(nText);
const procs = Number(procsText ?? 4);
// Batches resolved (unmeasured) before the measured one, as in a program that has been running:
// each its own names (h{n}… for the first, h{2n}… for the next), so none is a repeat of another.
const warm = Number(warmText ?? 0);
const batch = (b) => Array.from({ length: n }, (_, i) => `h${b * n + i}.bench.test`);
const names = batch(0);
const self = fileURLToPath(import.meta.url);
// Loaded before the clock starts: the variants measure resolving, not module loading.
const nodevent = variant === 'greenlets' ? await import('../dist/index.js') : null;
const nodeventNet = variant === 'greenlets' ? await import('../dist/net/index.js') : null;
const nodeventPatch = variant.startsWith('patched') ? await import('../dist/patch/index.js') : null;
// The shared engine's pacing state after the run: losses it noticed, questions it asked again.
const engine = nodevent || nodeventPatch ? await import('../dist/resolver/lookup.js') : null;
// Patching is set-up, done once at start-up as with `node --import nodevent/register`.
nodeventPatch?.patchAll();

/**
 * Datagrams dropped so far by the namespace's UDP sockets (the last column of /proc/net/udp): in
 * all, and at the server (port 5353: its socket buffer overflowed) as opposed to the clients.
 */
function udpDrops() {
  let drops = 0;
  let server = 0;
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let text = '';
    try { text = readFileSync(file, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length <= 12) continue;
      const dropped = Number(cols[cols.length - 1]) || 0;
      drops += dropped;
      if (cols[1]?.endsWith(':14E9')) server += dropped;
    }
  }
  return { drops, server };
}

/** Resolves `list` with the given lookup, all at once; counts answers and failures. */
async function fanOut(list, lookup) {
  const results = await Promise.allSettled(list.map((name) => lookup(name, { family: 4 })));
  const resolved = results.filter((r) => r.status === 'fulfilled').length;
  return { resolved, failed: results.length - resolved };
}

/** Splits the names into `parts` shares and resolves each share elsewhere (threads or processes). */
async function shared(parts, runShare) {
  const shares = Array.from({ length: parts }, (_, p) => names.filter((_, i) => i % parts === p));
  const outcomes = await Promise.all(shares.map(runShare));
  return outcomes.reduce((a, b) => ({ resolved: a.resolved + b.resolved, failed: a.failed + b.failed, childRssKb: (a.childRssKb ?? 0) + (b.maxRssKb ?? 0) }), { resolved: 0, failed: 0 });
}

const variants = {
  async sequential() {
    let resolved = 0;
    let failed = 0;
    for (const name of names) {
      try {
        await dns.promises.lookup(name, { family: 4 });
        resolved++;
      } catch {
        failed++;
      }
    }
    return { resolved, failed };
  },
  plain: () => fanOut(names, dns.promises.lookup),
  async workers() {
    return shared(procs, (share) => new Promise((resolve, reject) => {
      const worker = new Worker(
        `const { parentPort, workerData } = require('node:worker_threads');
         const dns = require('node:dns');
         Promise.allSettled(workerData.map((n) => dns.promises.lookup(n, { family: 4 }))).then((rs) => {
           const resolved = rs.filter((r) => r.status === 'fulfilled').length;
           parentPort.postMessage({ resolved, failed: rs.length - resolved });
         });`,
        { eval: true, workerData: share },
      );
      worker.once('message', (m) => { resolve(m); void worker.terminate(); });
      worker.once('error', reject);
    }));
  },
  async processes() {
    return shared(procs, (share) => new Promise((resolve, reject) => {
      const child = fork(self, ['--share'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      child.once('message', (m) => { resolve(m); child.kill(); });
      child.once('error', reject);
      child.send(share);
    }));
  },
  async greenlets() {
    const { spawn, joinAll } = nodevent;
    const { gethostbyname } = nodeventNet;
    // As gevent's script: spawn, then joinAll (whose wait observes every greenlet: a failure is
    // counted below, not reported).
    const jobs = names.map((name) => spawn(gethostbyname, name));
    await joinAll(jobs);
    const resolved = jobs.filter((g) => g.successful()).length;
    return { resolved, failed: n - resolved };
  },
  async patched() {
    // The very code of `plain`, unmodified: the patch routes it through c-ares.
    return fanOut(names, dns.promises.lookup);
  },
  async 'patched-any'() {
    // Without family: A and AAAA asked for each name, as getaddrinfo does.
    const results = await Promise.allSettled(names.map((name) => dns.promises.lookup(name)));
    const resolved = results.filter((r) => r.status === 'fulfilled').length;
    return { resolved, failed: n - resolved };
  },
  // Node's own c-ares, all at once: the implementation limit in Node (no hosts file, no search list).
  async cares() {
    const resolver = new dns.promises.Resolver();
    const results = await Promise.allSettled(names.map((name) => resolver.resolve4(name)));
    const resolved = results.filter((r) => r.status === 'fulfilled').length;
    return { resolved, failed: n - resolved };
  },
  async 'cares-any'() {
    const resolver = new dns.promises.Resolver();
    const results = await Promise.allSettled(names.map((name) => Promise.allSettled([resolver.resolve4(name), resolver.resolve6(name)]).then((both) => {
      if (!both.some((r) => r.status === 'fulfilled' && r.value.length > 0)) throw new Error('no address');
    })));
    const resolved = results.filter((r) => r.status === 'fulfilled').length;
    return { resolved, failed: n - resolved };
  },
};

if (variant === '--share') {
  process.once('message', async (share) => {
    const outcome = await fanOut(share, dns.promises.lookup);
    process.send({ ...outcome, maxRssKb: process.resourceUsage().maxRSS });
  });
} else {
  const run = variants[variant];
  if (!run) throw new RangeError(`unknown variant ${variant}; one of ${Object.keys(variants).join(', ')}`);
  for (let b = 1; b <= warm; b++) {
    names.splice(0, n, ...batch(b));
    await run();
  }
  names.splice(0, n, ...batch(0));
  const dropsBefore = udpDrops();
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const outcome = await run();
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  // This process's CPU only (not workers' or children's): the cost per name, whatever the load.
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const dropsAfter = udpDrops();
  const drops = dropsAfter.drops - dropsBefore.drops;
  const serverDrops = dropsAfter.server - dropsBefore.server;
  const maxRssKb = process.resourceUsage().maxRSS + (outcome.childRssKb ?? 0);
  const queries = engine?.lookupEngine().queries;
  const pacing = queries && { ...queries.pacing, retransmits: queries.retransmits };
  process.stdout.write(`${JSON.stringify({ variant, n, ms, resolved: outcome.resolved, failed: outcome.failed, maxRssKb, drops, serverDrops, cpuMs, pacing })}\n`);
  process.exit(0);
}
