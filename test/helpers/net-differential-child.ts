// Runs inside a private network namespace (see net-differential.test.ts): the same calls through
// Python's socket module (glibc's resolver) and through nodevent/net's, against the same DNS
// servers and /etc files; prints both as JSON.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  AF_INET, AF_INET6, AF_UNSPEC, AI_ADDRCONFIG, AI_ALL, AI_CANONNAME, AI_V4MAPPED, NI_NAMEREQD, NI_NOFQDN, NI_NUMERICHOST,
  NI_NUMERICSERV, SOCK_STREAM, getaddrinfo, getfqdn, gethostbyaddr, gethostbyname, gethostbyname_ex, getnameinfo,
} from '../../src/net/index.js';
import { startDnsServer } from '../../src/testing/dns-server.js';

const records = {
  'a.test': { A: ['10.0.0.1', '10.0.0.2'], AAAA: ['fd00::1', 'fd00::2'] },
  'v4only.test': { A: ['10.0.0.3'] }, 'v6only.test': { AAAA: ['fd00::3'] },
  'redis.svc.test': { A: ['10.0.0.4'] }, 'db.other.test': { A: ['10.0.0.5'], AAAA: ['fd00::5'] },
  'hostsonly.test': { A: ['10.9.9.9'] }, 'sfa.test': {}, 'sf6a.test': { A: ['10.0.0.6'] },
  'mix.test': { A: ['10.0.0.7'] }, 'mix.test.svc.test': { AAAA: ['fd00::7'] },
  'under_score.test': { A: ['10.0.0.9'] }, 'alias.test': { CNAME: 'a.test' }, 'alias2.test': { CNAME: 'alias.test' },
  'cname.svc.test': { CNAME: 'v4only.test' }, 'cname6.test': { CNAME: 'v6only.test' }, 'dangling.test': { CNAME: 'nx.test' }, one: { A: ['10.0.0.10'] }, 'one.svc.test': { AAAA: ['fd00::10'] },
};
const rcodes = { servfail: ['broken.test', 'sfa.test/A', 'sf6a.test/AAAA'], refused: ['refused.test'] };
// The second answers only where resolv.conf lists it.
const servers = [await startDnsServer({ port: 53, records, ...rcodes }), await startDnsServer({ port: 53, host: '::1', records, ...rcodes })];

const hosts = ['127.0.0.1', '::1', '0:0::1', 'localhost', 'LOCALHOST', 'hostsonly.test', 'hostsalias', 'v4hosts.test', 'a.test', 'A.Test.',
  'v4only.test', 'v6only.test', 'nx.test', 'redis', 'redis.svc.test', 'db', 'db.other', 'broken.test', 'localhost.', 'sfa.test', 'sf6a.test',
  'refused.test', 'mix.test', 'ip6-localhost', 'twice.test', 'loop6.test', 'mapped.test', 'two.test', 'two-rev.test', 'alias.test', 'alias2.test', 'cname', 'cname6.test', 'dangling.test', 'under_score.test', 'one', '', '10.1', '0x7f.1', '::ffff:1.2.3.4',
  // A scoped literal: Python gives its scope as the interface's index, and the host without it.
  'fe80::1%lo'];
type Case = { fn: string; host: string; family?: number; type?: number; flags?: number; port?: number; scope?: number };
const cases: Case[] = [];
for (const host of hosts) {
  cases.push({ fn: 'gethostbyname', host }, { fn: 'gethostbyname_ex', host });
  for (const family of [AF_UNSPEC, AF_INET, AF_INET6]) {
    for (const flags of [0, AI_CANONNAME, AI_ADDRCONFIG, AI_V4MAPPED, AI_V4MAPPED | AI_ALL | AI_CANONNAME]) {
      cases.push({ fn: 'getaddrinfo', host, family, type: SOCK_STREAM, flags, port: 80 });
    }
  }
}
for (const host of ['127.0.0.1', '10.5.5.5', 'hostsonly.test', '::1', 'localhost', 'fd00::55', '10.7.7.7', 'twice.test', 'hostsalias', 'nx.test', '10.9.9.9']) {
  cases.push({ fn: 'gethostbyaddr', host }, { fn: 'getfqdn', host });
}
// Numeric services only: whether /etc/services names a port depends on the machine.
for (const host of ['127.0.0.1', '10.5.5.5', '::1', 'fd00::55', '10.9.9.9', 'localhost']) {
  for (const flags of [NI_NUMERICSERV, NI_NUMERICSERV | NI_NUMERICHOST, NI_NUMERICSERV | NI_NAMEREQD, NI_NUMERICSERV | NI_NOFQDN]) cases.push({ fn: 'getnameinfo', host, port: 8080, flags });
}
// IPv6 addresses with a scope id: the loopback interface's (1), and one no interface has.
for (const host of ['fe80::1', 'ff02::1', '::1', 'fd00::55', 'fd00::99']) {
  for (const scope of [1, 99]) {
    for (const flags of [NI_NUMERICSERV, NI_NUMERICSERV | NI_NUMERICHOST]) cases.push({ fn: 'getnameinfo', host, port: 8080, flags, scope });
  }
}

const script = fileURLToPath(new URL('./socket-functions.py', import.meta.url));
const python = await new Promise<string>((resolve, reject) => {
  const child = execFile('python3', [script], { maxBuffer: 1 << 24, timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
  child.stdin!.end(JSON.stringify(cases));
});

const ours: unknown[] = [];
for (const c of cases) {
  try {
    const result = c.fn === 'gethostbyname' ? await gethostbyname(c.host)
      : c.fn === 'gethostbyname_ex' ? await gethostbyname_ex(c.host)
      : c.fn === 'gethostbyaddr' ? await gethostbyaddr(c.host)
      : c.fn === 'getfqdn' ? await getfqdn(c.host)
      : c.fn === 'getnameinfo' ? await getnameinfo(c.scope === undefined ? [c.host, c.port!] : [c.host, c.port!, 0, c.scope], c.flags!)
      : await getaddrinfo(c.host, c.port!, { family: c.family!, type: c.type!, flags: c.flags! });
    ours.push({ ok: JSON.parse(JSON.stringify(result)) });
  } catch (error) {
    const e = error as { name?: string; errno?: number };
    ours.push({ error: [e.name, e.errno] });
  }
}
for (const s of servers) await s.close();
const reference = JSON.parse(python) as unknown[];
process.stdout.write(JSON.stringify(cases.map((c, i) => ({ ...c, python: reference[i], ours: ours[i] }))));
