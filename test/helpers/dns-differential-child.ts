// Runs inside a private network namespace (see dns-differential.test.ts): the same lookups through
// Node's getaddrinfo and through the patched dns.lookup; prints both as JSON.
import dns from 'node:dns';
import { patchDns, unpatchDns } from '../../src/patch/dns.js';
import { startDnsServer } from '../../src/testing/dns-server.js';

const records = {
  'a.test': { A: ['10.0.0.1', '10.0.0.2'], AAAA: ['fd00::1', 'fd00::2'] },
  'alias.test': { CNAME: 'a.test' },
  'v4only.test': { A: ['10.0.0.3'] },
  'v6only.test': { AAAA: ['fd00::3'] },
  'redis.svc.test': { A: ['10.0.0.4'] },
  'db.other.test': { A: ['10.0.0.5'], AAAA: ['fd00::5'] },
  'hostsonly.test': { A: ['10.9.9.9'] },
  'sfa.test': {}, 'sfa6.test': { AAAA: ['fd00::6'] }, 'sf6.test': {}, 'sf6a.test': { A: ['10.0.0.6'] },
  'mix.test': { A: ['10.0.0.7'] }, 'mix.test.svc.test': { AAAA: ['fd00::7'] },
  // Names nss_dns refuses to ask (res_hnok), though a server would answer them.
  '-dash.test': { A: ['10.0.0.8'] }, 'star*.test': { A: ['10.0.0.8'] }, 'under_score.test': { A: ['10.0.0.9'] },
  // A single label, answered as it is and under a search domain (no-tld-query, `search .`).
  one: { A: ['10.0.0.10'] }, 'one.svc.test': { AAAA: ['fd00::10'] },
  // CNAMEs of names without the type asked, or of no name: c-ares reports their replies as "no data".
  'cname4.test': { CNAME: 'v4only.test' }, 'cname6.test': { CNAME: 'v6only.test' }, 'dangling.test': { CNAME: 'nx.test' },
  'cname.svc.test': { CNAME: 'v4only.test' },
};
// broken.test: SERVFAIL for both types; sfa*: for A only; sf6*: for AAAA only; refused.test: REFUSED.
// sfnx.test: SERVFAIL from the first nameserver only (the second, where resolv.conf lists one, says NXDOMAIN).
const rcodes = { servfail: ['broken.test', 'sfa.test/A', 'sfa6.test/A', 'sf6.test/AAAA', 'sf6a.test/AAAA'], refused: ['refused.test'] };
const servers = [
  await startDnsServer({ port: 53, records, ...rcodes, servfail: [...rcodes.servfail, 'sfnx.test'] }),
  await startDnsServer({ port: 53, host: '::1', records, ...rcodes }),
];

const hostnames = ['127.0.0.1', '::1', 'localhost', 'LOCALHOST', 'hostsonly.test', 'hostsalias', 'v4hosts.test',
  'a.test', 'A.Test.', 'alias.test', 'v4only.test', 'v6only.test', 'nx.test', 'redis', 'redis.svc.test', 'nx', 'db',
  'db.other', 'broken.test', 'a.test.', 'localhost.', 'broken', 'sfa.test', 'sfa6.test', 'sf6.test', 'sf6a.test',
  'refused.test', 'sfnx.test', 'mix.test', 'ip6-localhost', 'twice.test', 'loop6.test', 'mapped.test', 'translated.test', '-dash.test', 'star*.test', 'under_score.test', 'one',
  'cname4.test', 'cname6.test', 'dangling.test', 'cname'];
const optionSets: (dns.LookupOptions | undefined)[] = [
  undefined, { family: 4 }, { family: 6 }, { all: true }, { all: true, family: 6 }, { family: 6, hints: dns.V4MAPPED },
  { all: true, family: 6, hints: dns.V4MAPPED | dns.ALL }, { all: true, hints: dns.ADDRCONFIG }, { family: 4, hints: dns.ADDRCONFIG },
  { all: true, order: 'ipv4first' } as dns.LookupOptions, { all: true, verbatim: false },
];

const run = (host: string, options: dns.LookupOptions | undefined): Promise<unknown> => new Promise((resolve) => {
  const done = (err: NodeJS.ErrnoException | null, address?: unknown, family?: unknown): void => resolve(err
    ? { error: { code: err.code, errno: err.errno, syscall: err.syscall, hostname: (err as { hostname?: string }).hostname, message: err.message } }
    : { address, family });
  if (options === undefined) dns.lookup(host, done); else dns.lookup(host, options, done);
});

const cases = hostnames.flatMap((host) => optionSets.map((options) => ({ host, options })));
const original = await Promise.all(cases.map((c) => run(c.host, c.options)));
patchDns();
const patched = await Promise.all(cases.map((c) => run(c.host, c.options)));
unpatchDns();
for (const s of servers) await s.close();
process.stdout.write(JSON.stringify(cases.map((c, i) => ({ ...c, original: original[i], patched: patched[i] }))));
