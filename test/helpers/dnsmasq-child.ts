// Runs inside a private network namespace whose resolv.conf names 127.0.0.1: starts Debian's
// dnsmasq there on port 53 (bench.test names from a hosts file; never.test forwarded to a server
// that never answers), then runs each program named in argv as the namespace's users would, and
// prints one JSON line: what each program printed, and how long each lived after its last line.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startDnsServer } from '../../src/testing/dns-server.js';
import { startDnsmasq } from '../../src/testing/dnsmasq.js';

const n = 5000;
const hosts: Record<string, string[]> = { 'www.crappytaxidermy.com': ['10.0.0.7'] };
for (let i = 0; i < n; i++) hosts[`m${i}.mass.test`] = [`10.3.${i >> 8}.${i & 255}`];
const silent = await startDnsServer({ port: 5399, neverAnswer: ['www.walterpeck.com'] });
const dnsmasq = await startDnsmasq({ hosts, local: ['mass.test', 'crappytaxidermy.com'], forward: { 'walterpeck.com': '127.0.0.1#5399' } });
const loader = process.argv[2]!;
const results: Record<string, unknown> = { version: dnsmasq.version };
for (const program of process.argv.slice(3)) {
  const file = fileURLToPath(new URL(program, import.meta.url));
  results[program] = await new Promise((resolve) => {
    execFile(process.execPath, ['--import', loader, file, String(n)], { timeout: 60_000 }, (err, stdout) => {
      const exitedAt = Date.now();
      const last = JSON.parse(stdout.trim().split('\n').pop() || '{}') as { at?: number };
      resolve({ error: err ? String(err) : undefined, ...last, livedAfterMs: last.at === undefined ? undefined : exitedAt - last.at });
    });
  });
}
dnsmasq.close();
await silent.close();
console.log(JSON.stringify(results));
