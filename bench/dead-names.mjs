// Names nobody answers amid steady traffic: D names a server never answers (an authoritative server
// that is down) are asked first, then N names it answers after a round trip, in waves of 500 every
// 100 ms (an application's stream of lookups), through the patched `dns.promises.lookup`. Measured:
// how long until the N names are answered, and how often the D dead names were sent. A dead name
// must neither slow the others down nor be asked every round trip. Each case runs in its own
// process (a fresh resolver), on the embedded server.
// Run: npm run build && node bench/dead-names.mjs [--n 5000] [--dead 0,1,10] [--rtt 0.05]
import dns from 'node:dns';
import { fork } from 'node:child_process';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const { values } = parseArgs({
  options: { n: { type: 'string', default: '5000' }, dead: { type: 'string', default: '0,1,10' }, rtt: { type: 'string', default: '0.05' }, case: { type: 'string' } },
});
const n = Number(values.n);
const rtt = Number(values.rtt);
if (!Number.isInteger(n) || n < 1) throw new RangeError(`--n must be a positive integer, got ${values.n}`);
if (!(rtt >= 0)) throw new RangeError(`--rtt must be a number of seconds >= 0, got ${values.rtt}`);

const WAVE = 500;
const WAVE_MS = 100;

if (values.case !== undefined) {
  const dead = Number(values.case);
  const { startDnsServer } = await import('../dist/testing/index.js');
  const { patchAll } = await import('../dist/patch/index.js');
  const { lookupEngine } = await import('../dist/resolver/lookup.js');
  const records = new Map();
  for (let i = 0; i < n; i++) records.set(`h${i}.dead.test`, { A: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`] });
  const never = Array.from({ length: dead }, (_, i) => `gone${i}.dead.test`);
  const server = await startDnsServer({ records, rtt, neverAnswer: never });
  patchAll();
  dns.setServers([`127.0.0.1:${server.port}`]);
  const start = performance.now();
  // Asked first, so that they share the first channel with names answered.
  for (const name of never) dns.promises.lookup(name, { family: 4 }).catch(() => {});
  const pending = [];
  for (let i = 0; i < n; i++) {
    if (i > 0 && i % WAVE === 0) await new Promise((resolve) => setTimeout(resolve, WAVE_MS));
    pending.push(dns.promises.lookup(`h${i}.dead.test`, { family: 4 }));
  }
  const results = await Promise.allSettled(pending);
  const ms = performance.now() - start;
  const { queries } = lookupEngine();
  process.send({ dead, ms, resolved: results.filter((r) => r.status === 'fulfilled').length, deadSendings: server.stats.dropped, windowCuts: queries.pacing.losses, window: queries.pacing.window });
  process.exit(0);
}

console.log(`D names never answered, then ${n} names answered after ${rtt * 1000} ms, ${WAVE} every ${WAVE_MS} ms (patched dns.promises.lookup, embedded server)`);
console.log('| D | N answered in | resolved | sendings of the D names | window cuts | window after |');
console.log('|---|---|---|---|---|---|');
for (const dead of values.dead.split(',').map(Number)) {
  const child = fork(fileURLToPath(import.meta.url), ['--n', String(n), '--rtt', String(rtt), '--case', String(dead)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const outcome = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`case ${dead} exited with ${code} before reporting`)));
  });
  console.log(`| ${dead} | ${Math.round(outcome.ms)} ms | ${outcome.resolved} | ${outcome.deadSendings} | ${outcome.windowCuts} | ${outcome.window} |`);
}
