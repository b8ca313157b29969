import t from 'tap';
import dns from 'node:dns';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GreenletExit, joinAll, spawn, sleep } from '../src/runtime/index.js';
import { startDnsServer } from '../src/testing/dns-server.js';
import {
  AF_INET, AF_INET6, AI_CANONNAME, AI_NUMERICHOST, AI_PASSIVE, EAI_ADDRFAMILY, EAI_BADFLAGS, EAI_NODATA, EAI_NONAME, EAI_SERVICE,
  EAI_SOCKTYPE, IPPROTO_TCP, IPPROTO_UDP,
  NI_DGRAM, NI_NAMEREQD, NI_NOFQDN, NI_NUMERICHOST, NI_NUMERICSERV, SOCK_DGRAM, SOCK_RAW, SOCK_STREAM, gaierror,
  getaddrinfo, getfqdn, gethostbyaddr, gethostbyname, gethostbyname_ex, gethostname, getnameinfo, getResolver, herror,
  setHostsFile, setResolver,
} from '../src/net/index.js';

const server = await startDnsServer({
  records: {
    'db.test': { A: ['10.0.0.7', '10.0.0.8'] }, 'v6.test': { AAAA: ['fd00::7'] },
    // getaddrinfo's sort puts 127.0.0.9 first (rule 8, the smaller scope; rule 1 if 10/8 has no route).
    'order.test': { A: ['10.0.0.9', '127.0.0.9'] },
  },
  neverAnswer: ['never.test'],
});
const systemServers = dns.getServers();
dns.setServers([`127.0.0.1:${server.port}`]);
t.teardown(async () => {
  dns.setServers(systemServers);
  await server.close();
});

const dir = t.testdir();
const hostsFile = join(dir, 'hosts');
writeFileSync(hostsFile, [
  '# a test hosts file: official name, then aliases',
  '127.0.0.1   localhost.example.test localhost   # the local domain (NI_NOFQDN): example.test',
  '10.20.30.40 box.example.test box alias-two   # the one with aliases',
  '10.20.30.41 box.example.test',
  'fd00::40    box.example.test',
  '10.20.30.50 other.domain.test',
  '',
].join('\n'));

t.test('gethostbyname_ex on a hosts-file name with aliases', async (t) => {
  const opts = { hostsFile };
  t.same(await gethostbyname_ex('alias-two', opts), ['box.example.test', ['box', 'alias-two'], ['10.20.30.40']]);
  t.same(await gethostbyname_ex('BOX.example.test', opts), ['box.example.test', ['box', 'alias-two'], ['10.20.30.40', '10.20.30.41']]);
  // glibc's files source does not strip a trailing dot: the name goes to DNS (checked with Python's
  // gethostbyname('localhost.'): EAI_NONAME), and this server does not know it.
  await t.rejects(gethostbyname_ex('BOX.example.test.', opts), { name: 'gaierror', errno: EAI_NONAME });
  // A name with no IPv4 address: EAI_NODATA, as glibc says, not EAI_NONAME.
  await t.rejects(gethostbyname('v6.test'), { name: 'gaierror', errno: EAI_NODATA });
  t.same(await gethostbyname_ex('10.1.2.3', opts), ['10.1.2.3', [], ['10.1.2.3']]);
  t.equal(await gethostbyname('box', opts), '10.20.30.40');
  t.same(await gethostbyaddr('10.20.30.40', opts), ['box.example.test', ['box', 'alias-two'], ['10.20.30.40']]);
  t.same(await gethostbyaddr('alias-two', opts), ['box.example.test', ['box', 'alias-two'], ['10.20.30.40']], 'a name is resolved first');
  setHostsFile(hostsFile);
  t.teardown(() => setHostsFile(null));
  t.same((await gethostbyname_ex('box'))[1], ['box', 'alias-two'], 'setHostsFile sets the default');
});

t.test('getnameinfo: names, numbers and flags', async (t) => {
  const opts = { hostsFile };
  t.same(await getnameinfo(['10.20.30.40', 80], 0, opts), ['box.example.test', 'http']);
  t.same(await getnameinfo(['10.20.30.40', 80], NI_NOFQDN, opts), ['box', 'http'], 'a name in the local domain loses it');
  t.same(await getnameinfo(['10.20.30.50', 80], NI_NOFQDN, opts), ['other.domain.test', 'http'], 'another domain\'s name is kept');
  t.same(await getnameinfo(['10.20.30.40', 80], NI_NUMERICHOST | NI_NUMERICSERV, opts), ['10.20.30.40', '80']);
  t.same(await getnameinfo(['10.20.30.40', 53], NI_DGRAM, opts), ['box.example.test', 'domain']);
  t.same(await getnameinfo(['10.9.9.9', 65000], 0, opts), ['10.9.9.9', '65000'], 'no name: numbers');
  await t.rejects(getnameinfo(['10.9.9.9', 80], NI_NAMEREQD, opts), gaierror);
  await t.rejects(getnameinfo(['box', 80], 0, opts), { name: 'gaierror', errno: EAI_NONAME });
  await t.rejects(getnameinfo(['10.9.9.9', 99999], 0, opts), { name: 'RangeError', message: /"sockaddr\[1\]"/ });
});

t.test('getnameinfo: an IPv6 address with a scope id, as glibc writes it', async (t) => {
  const numeric = NI_NUMERICHOST | NI_NUMERICSERV;
  const lo = Number(readFileSync('/sys/class/net/lo/ifindex', 'utf8'));
  t.same(await getnameinfo(['fe80::1', 80, 0, lo], numeric), ['fe80::1%lo', '80'], 'link-local: the interface\'s name');
  t.same(await getnameinfo(['ff02::1', 80, 0, lo], numeric), ['ff02::1%lo', '80'], 'link-scope multicast too');
  t.same(await getnameinfo(['fd00::1', 80, 0, lo], numeric), [`fd00::1%${lo}`, '80'], 'any other address: the index');
  t.same(await getnameinfo(['fe80::1', 80, 0, 2 ** 31], numeric), [`fe80::1%${2 ** 31}`, '80'], 'no such interface: the index');
  t.same(await getnameinfo(['fe80::1', 80, 0, 0], numeric), ['fe80::1', '80'], 'no scope');
  t.same(await getnameinfo(['fe80::1', 80, 5, lo], numeric), ['fe80::1%lo', '80'], 'a flow label is no matter here');
  await t.rejects(getnameinfo(['127.0.0.1', 80, 0, 0], numeric), { name: 'TypeError', message: /IPv4 address/ }, 'Python: IPv4 sockaddr must be 2 tuple');
  await t.rejects(getnameinfo(['::1', 80, 1 << 20, 0], numeric), { name: 'RangeError', message: /"sockaddr\[2\]"/ });
});

t.test('NI_NOFQDN: a caller killed while the local domain is worked out fails alone', async (t) => {
  // No localhost in this hosts file: the local domain takes DNS questions, answered after 0.3 s.
  const slowServer = await startDnsServer({ rtt: 0.3 });
  dns.setServers([`127.0.0.1:${slowServer.port}`]);
  t.teardown(async () => {
    dns.setServers([`127.0.0.1:${server.port}`]);
    await slowServer.close();
  });
  const plainHosts = join(dir, 'hosts-without-localhost');
  writeFileSync(plainHosts, '10.20.30.40 box.example.test\n');
  const opts = { hostsFile: plainHosts };
  const killed = spawn(() => getnameinfo(['10.20.30.40', 80], NI_NOFQDN | NI_NUMERICSERV, opts));
  const kept = spawn(() => getnameinfo(['10.20.30.40', 80], NI_NOFQDN | NI_NUMERICSERV, opts));
  // Both wait for the shared work once its first question reached the server.
  while (slowServer.stats.queries === 0) await sleep(0.005);
  await killed.kill();
  t.type(killed.value, GreenletExit, 'the killed caller ends with its GreenletExit at once');
  await joinAll([kept]);
  t.ok(kept.successful(), `the other caller is answered (${String(kept.exception)})`);
  t.same(kept.value, ['box.example.test', '80'], 'no local domain here: the name is kept');
});

t.test('getaddrinfo: entries, service names, families and flags', async (t) => {
  const opts = { hostsFile };
  t.same(await getaddrinfo('localhost', 'http', { ...opts, type: SOCK_STREAM }), [[AF_INET, SOCK_STREAM, IPPROTO_TCP, '', ['127.0.0.1', 80]]]);
  t.same(await getaddrinfo('127.0.0.1', 8080, opts), [
    [AF_INET, SOCK_STREAM, IPPROTO_TCP, '', ['127.0.0.1', 8080]],
    [AF_INET, SOCK_DGRAM, IPPROTO_UDP, '', ['127.0.0.1', 8080]],
    [AF_INET, SOCK_RAW, 0, '', ['127.0.0.1', 8080]],
  ], 'type 0 lists every socket type, as glibc does');
  t.same(await getaddrinfo('127.0.0.1', 'domain', { proto: IPPROTO_UDP }), [[AF_INET, SOCK_DGRAM, IPPROTO_UDP, '', ['127.0.0.1', 53]]]);
  t.same(await getaddrinfo('127.0.0.1', '443', { type: SOCK_STREAM }), [[AF_INET, SOCK_STREAM, IPPROTO_TCP, '', ['127.0.0.1', 443]]]);
  const withCanon = await getaddrinfo('box.example.test', 80, { ...opts, type: SOCK_STREAM, flags: AI_CANONNAME });
  // In getaddrinfo's order (RFC 6724, which depends on this machine's addresses), the canonical name on the first.
  t.same(withCanon.map((e) => e[3]), ['box.example.test', '', '']);
  t.same(withCanon.map((e) => [e[0], e[4][0]]).sort(), [[AF_INET, '10.20.30.40'], [AF_INET, '10.20.30.41'], [AF_INET6, 'fd00::40']].sort());
  t.same(withCanon.filter((e) => e[0] === AF_INET).map((e) => e[4][0]), ['10.20.30.40', '10.20.30.41'], 'within a family, the hosts file order');
  t.same((await getaddrinfo('box.example.test', 80, { ...opts, family: AF_INET6, type: SOCK_STREAM })).map((e) => e[4]), [['fd00::40', 80, 0, 0]], 'an IPv6 address with flowinfo and scope id, as Python gives it');
  t.same((await getaddrinfo(null, 80, { family: AF_INET, type: SOCK_STREAM })).map((e) => e[4]), [['127.0.0.1', 80]]);
  t.same((await getaddrinfo(null, 80, { family: AF_INET, type: SOCK_STREAM, flags: AI_PASSIVE })).map((e) => e[4]), [['0.0.0.0', 80]]);
  await t.rejects(getaddrinfo('127.0.0.1', 80, { family: AF_INET6 }), { name: 'gaierror', errno: EAI_ADDRFAMILY }); // glibc's answer, as Python's getaddrinfo gives it
  await t.rejects(getaddrinfo('box', 80, { ...opts, flags: AI_NUMERICHOST }), { name: 'gaierror', errno: EAI_NONAME });
  await t.rejects(getaddrinfo('127.0.0.1', 70000), { name: 'RangeError', message: /"port"/ });
  await t.rejects(getaddrinfo('127.0.0.1', -1), { name: 'RangeError', message: /"port"/ });
  await t.rejects(getaddrinfo(42 as unknown as string, 80), { name: 'TypeError', message: /"host"/ });
});

t.test('DNS names through the cares resolver; errors carry the host', async (t) => {
  t.equal(getResolver(), 'cares');
  t.equal(await gethostbyname('db.test', { hostsFile }), '10.0.0.7');
  t.same(await gethostbyname_ex('db.test', { hostsFile }), ['db.test', [], ['10.0.0.7', '10.0.0.8']]);
  t.same((await getaddrinfo('v6.test', 80, { type: SOCK_STREAM, hostsFile })).map((e) => e[4][0]), ['fd00::7']);
  const err = await gethostbyname('nope.test', { hostsFile }).catch((e: unknown) => e);
  t.type(err, gaierror);
  t.equal((err as gaierror).errno, EAI_NONAME);
  t.equal((err as gaierror).code, 'EAI_NONAME');
  t.equal((err as gaierror).hostname, 'nope.test');
  t.match((err as gaierror).message, /\[Errno -2\] Name or service not known: 'nope.test'/);
  const rev = await gethostbyaddr('10.0.0.99', { hostsFile }).catch((e: unknown) => e);
  t.type(rev, herror);
  t.equal((rev as herror).hostname, '10.0.0.99');
  t.match((rev as herror).message, /Unknown host/);
});

t.test("gethostbyname_ex keeps the DNS answer's order, getaddrinfo sorts it", async (t) => {
  t.same(await gethostbyname_ex('order.test', { hostsFile }), ['order.test', [], ['10.0.0.9', '127.0.0.9']], 'as gethostbyname_r gives them');
  t.same((await getaddrinfo('order.test', 80, { family: AF_INET, type: SOCK_STREAM, hostsFile })).map((e) => e[4][0]), ['127.0.0.9', '10.0.0.9']);
  t.equal(await gethostbyname('order.test', { hostsFile }), '127.0.0.9', "gethostbyname is getaddrinfo's first, as Python's");
});

t.test('names too long for a DNS question: EAI_NONAME without asking', async (t) => {
  const label = `${'a'.repeat(62)}.`;
  const name = (length: number): string => label.repeat(5).slice(0, length - 1) + 'z';
  t.equal(name(254).length, 254);
  const before = server.stats.queries;
  for (const host of [name(254), `${name(254)}.`, name(300)]) {
    for (const resolver of ['cares', 'getaddrinfo'] as const) {
      await t.rejects(getaddrinfo(host, 80, { family: AF_INET, type: SOCK_STREAM, resolver, hostsFile }), { name: 'gaierror', errno: EAI_NONAME }, `${host.length} characters, ${resolver}`);
    }
    await t.rejects(gethostbyname(host, { hostsFile }), { name: 'gaierror', errno: EAI_NONAME });
  }
  t.equal(server.stats.queries, before, 'no question was sent');
  // 253 characters (254 with the trailing dot) is a name DNS takes: it is asked (NXDOMAIN here).
  await t.rejects(gethostbyname(name(253), { hostsFile }), { name: 'gaierror', errno: EAI_NONAME });
  await t.rejects(gethostbyname(`${name(253)}.`, { hostsFile }), { name: 'gaierror', errno: EAI_NONAME });
  t.ok(server.stats.queries > before, 'a 253-character name is asked');
});

t.test('getaddrinfo: a null host, bad flags, SOCK_RAW with a port, service strings', async (t) => {
  const hosts = async (flags: number): Promise<unknown[]> => (await getaddrinfo(null, 80, { type: SOCK_STREAM, flags })).map((e) => e[4][0]);
  t.same(await hosts(AI_PASSIVE), ['0.0.0.0', '::'], 'the wildcard: IPv4 first, as glibc sorts it');
  t.same((await hosts(0)).slice().sort(), ['127.0.0.1', '::1']);
  await t.rejects(getaddrinfo(null, null), { name: 'gaierror', errno: EAI_NONAME });
  await t.rejects(getaddrinfo('*', '*'), { name: 'gaierror', errno: EAI_NONAME }, "'*' is no host and no port");
  for (const flags of [-1, 0x10000, 0x800]) await t.rejects(getaddrinfo('127.0.0.1', 80, { flags }), { name: 'gaierror', errno: EAI_BADFLAGS, code: 'EAI_BADFLAGS', message: /Bad value for ai_flags/ });
  await t.rejects(getaddrinfo(null, 80, { flags: AI_CANONNAME }), { name: 'gaierror', errno: EAI_BADFLAGS });
  await t.rejects(getaddrinfo('127.0.0.1', 80, { flags: 0x10000, family: 99 }), { name: 'gaierror', errno: EAI_BADFLAGS }, 'before the family');
  await t.rejects(getaddrinfo('127.0.0.1', 80, { type: SOCK_RAW }), { name: 'gaierror', errno: EAI_SERVICE });
  await t.rejects(getaddrinfo('127.0.0.1', 0, { type: SOCK_RAW }), { name: 'gaierror', errno: EAI_SERVICE });
  t.same(await getaddrinfo('127.0.0.1', null, { type: SOCK_RAW }), [[AF_INET, SOCK_RAW, 0, '', ['127.0.0.1', 0]]]);
  t.same(await getaddrinfo('127.0.0.1', 80, { proto: 132 }), [[AF_INET, SOCK_STREAM, 132, '', ['127.0.0.1', 80]]], 'SCTP: one entry');
  t.same(await getaddrinfo('127.0.0.1', 80, { type: 5 }), [[AF_INET, 5, 132, '', ['127.0.0.1', 80]]], 'SOCK_SEQPACKET is SCTP');
  await t.rejects(getaddrinfo('127.0.0.1', 80, { type: SOCK_STREAM, proto: IPPROTO_UDP }), { name: 'gaierror', errno: EAI_SOCKTYPE });
  for (const [port, expected] of [['', 0], [' 80', 80], ['+80', 80], ['080', 80], ['-0', 0]] as const) {
    t.same((await getaddrinfo('127.0.0.1', port, { type: SOCK_STREAM })).map((e) => e[4][1]), [expected], JSON.stringify(port));
  }
  for (const port of ['80 ', '-80', '0x50', ' ']) await t.rejects(getaddrinfo('127.0.0.1', port, { type: SOCK_STREAM }), { name: 'gaierror', errno: EAI_SERVICE }, JSON.stringify(port));
});

t.test('scoped literals: a zone glibc refuses is EAI_NONAME', async (t) => {
  const lo = Number(readFileSync('/sys/class/net/lo/ifindex', 'utf8'));
  t.same((await getaddrinfo('fe80::1%lo', 80, { type: SOCK_STREAM }))[0]![4], ['fe80::1', 80, 0, lo]);
  t.same((await getaddrinfo('FE80::1%0', 80, { type: SOCK_STREAM }))[0]![4], ['fe80::1', 80, 0, 0], 'scope 0 is none');
  t.same((await getaddrinfo('fd00::1%7', 80, { type: SOCK_STREAM }))[0]![4], ['fd00::1', 80, 0, 7], 'a number for any address');
  for (const host of ['fe80::1%nosuch', 'fd00::1%lo', 'fe80::1%4294967296']) {
    await t.rejects(getaddrinfo(host, 80, { type: SOCK_STREAM }), { name: 'gaierror', errno: EAI_NONAME }, host);
  }
  await t.rejects(getaddrinfo('fe80::1%nosuch', 80, { family: AF_INET }), { name: 'gaierror', errno: EAI_ADDRFAMILY }, 'the family first');
  t.same(await getnameinfo(['fe80::1%lo', 80], NI_NUMERICHOST | NI_NUMERICSERV), ['fe80::1', '80'], "getnameinfo: the tuple's scope, not the zone's");
  await t.rejects(getnameinfo(['::1%lo', 80], NI_NUMERICHOST), { name: 'gaierror', errno: EAI_NONAME });
});

t.test("getnameinfo reads inet_aton's forms; '<broadcast>'", async (t) => {
  const opts = { hostsFile };
  t.same(await getnameinfo(['127.1', 80], 0, opts), ['localhost.example.test', 'http']);
  t.same(await getnameinfo(['0x7f000001', 80], NI_NUMERICHOST | NI_NUMERICSERV, opts), ['127.0.0.1', '80']);
  await t.rejects(getnameinfo(['127.1', 80, 0, 0], 0, opts), { name: 'TypeError', message: /IPv4 address/ });
  t.equal(await gethostbyname('<broadcast>', opts), '255.255.255.255');
  await t.rejects(gethostbyname_ex('<broadcast>', opts), { name: 'herror', errno: 0, message: /Resolver Error 0 \(no error\)/ });
});

t.test('the resolver can be chosen per call or globally', async (t) => {
  t.equal(await gethostbyname('localhost', { resolver: 'getaddrinfo' }), '127.0.0.1');
  setResolver('getaddrinfo');
  t.teardown(() => setResolver('cares'));
  t.equal(getResolver(), 'getaddrinfo');
  t.equal(await gethostbyname('box', { hostsFile }), '10.20.30.40', 'the hosts file is read first with either resolver');
  t.throws(() => setResolver('ares' as 'cares'), { name: 'TypeError', message: /"name"/ });
  await t.rejects(gethostbyname('localhost', { resolver: 'thread' as 'cares' }), { name: 'TypeError', message: /"options.resolver"/ });
});

t.test("the chapter's concurrent gethostbyname: a greenlet per host, joinAll with a timeout", async (t) => {
  const hosts = ['db.test', 'localhost', 'never.test'];
  const jobs = hosts.map((h) => spawn(gethostbyname, h, { hostsFile }));
  const done = await joinAll(jobs, { timeout: 0.5 });
  t.equal(done.length, 2, 'the name that never answers is still pending');
  t.same(jobs.map((j) => j.value), ['10.0.0.7', '127.0.0.1', null]);
  await jobs[2]!.kill();
  t.type(jobs[2]!.value, GreenletExit, 'a lookup is killed at once');
});

t.test('gethostname and getfqdn', async (t) => {
  const name = gethostname();
  t.type(name, 'string');
  t.ok(name.length > 0);
  t.equal(await getfqdn('alias-two', { hostsFile }), 'box.example.test');
  t.equal(await getfqdn('10.9.9.9', { hostsFile }), '10.9.9.9', 'no name: itself');
  await sleep(0);
});
