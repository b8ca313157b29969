import t from 'tap';
import dns from 'node:dns';
import { promisify } from 'node:util';
import { GreenletExit, Timeout, sleep, spawn, withTimeout } from '../src/runtime/index.js';
import { caresLookup, patchDns, unpatchDns } from '../src/patch/dns.js';
import { getOriginal, isPatched } from '../src/internal/registry.js';
import { startDnsServer, type DnsRecord } from '../src/testing/dns-server.js';

const records: Record<string, DnsRecord> = {
  'a.test': { A: ['10.0.0.1', '10.0.0.2'], AAAA: ['fd00::1'] },
  'v4only.test': { A: ['10.0.0.3'] },
};
const server = await startDnsServer({ records, neverAnswer: ['never.test'] });
const systemServers = dns.getServers();
dns.setServers([`127.0.0.1:${server.port}`]);
t.teardown(async () => {
  unpatchDns();
  dns.setServers(systemServers);
  await server.close();
});

/** Settles within one turn of the loop, or reports 'pending'. */
const state = (p: Promise<unknown>): Promise<unknown> =>
  Promise.race([p.then((v) => ({ value: v }), (e: unknown) => ({ error: e })), new Promise((r) => setImmediate(r, 'pending'))]);

const waitQueries = async (n: number): Promise<void> => {
  while (server.stats.queries < n) await new Promise((r) => setTimeout(r, 5));
};

t.test('patch and unpatch keep identity; idempotent; ESM importers see it', async (t) => {
  const lookup = dns.lookup;
  const promisesLookup = dns.promises.lookup;
  const resolve4 = dns.resolve4;
  patchDns();
  patchDns();
  t.ok(isPatched('dns'));
  t.not(dns.lookup, lookup);
  t.equal(getOriginal('dns', 'lookup'), lookup);
  t.equal(dns.promises.lookup, caresLookup);
  const esm = await import('node:dns');
  const esmPromises = await import('node:dns/promises');
  t.equal(esm.lookup, dns.lookup, 'import { lookup } from "node:dns" is patched');
  t.equal(esmPromises.lookup, caresLookup);
  unpatchDns();
  t.equal(dns.lookup, lookup);
  t.equal(dns.promises.lookup, promisesLookup);
  t.equal(dns.resolve4, resolve4);
  t.equal((await import('node:dns')).lookup, lookup);
});

t.test('Node callback and promise contracts', async (t) => {
  patchDns();
  const cb = await new Promise<unknown[]>((resolve) => dns.lookup('v4only.test', (...args) => resolve(args)));
  t.same(cb, [null, '10.0.0.3', 4]);
  const cbAll = await new Promise<unknown[]>((resolve) => dns.lookup('a.test', { all: true, family: 4 }, (...args) => resolve(args)));
  t.same(cbAll, [null, [{ address: '10.0.0.1', family: 4 }, { address: '10.0.0.2', family: 4 }]]);
  const cbErr = await new Promise<NodeJS.ErrnoException>((resolve) => dns.lookup('nope.test', 4, (err) => resolve(err!)));
  t.match(cbErr, { code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: 'nope.test', message: 'getaddrinfo ENOTFOUND nope.test' });
  t.same(await promisify(dns.lookup)('v4only.test'), { address: '10.0.0.3', family: 4 });
  t.same(await dns.promises.lookup('a.test', { family: 6 }), { address: 'fd00::1', family: 6 });
  t.same(await dns.promises.lookup('v4only.test', { family: 6, hints: dns.V4MAPPED }), { address: '::ffff:10.0.0.3', family: 6 });
  t.same(await dns.promises.lookup('a.test', { all: true, order: 'ipv4first' }), [
    { address: '10.0.0.1', family: 4 }, { address: '10.0.0.2', family: 4 }, { address: 'fd00::1', family: 6 }]);
  t.same(await dns.promises.lookup('127.0.0.1', { all: true }), [{ address: '127.0.0.1', family: 4 }]);
  // Node's own argument errors, thrown synchronously.
  t.throws(() => dns.lookup(42 as unknown as string, () => {}), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => dns.promises.lookup('a.test', { family: 5 as 4 }), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => dns.lookup('a.test', { hints: 1 << 20 }, () => {}), { code: 'ERR_INVALID_ARG_VALUE' });
  unpatchDns();
});

t.test('killing a greenlet mid-lookup rejects the lookup at once', async (t) => {
  patchDns();
  let pending: Promise<unknown> | undefined;
  let cbResult: unknown;
  const before = server.stats.queries;
  const g = spawn(async () => {
    dns.lookup('never.test', (err) => { cbResult = err; });
    pending = dns.promises.lookup('never.test');
    await pending;
  });
  await waitQueries(before + 1);
  await g.kill();
  t.ok(g.dead);
  t.ok(g.value instanceof GreenletExit, 'dead with GreenletExit');
  const s = (await state(pending!)) as { error?: unknown };
  t.ok(s.error instanceof GreenletExit, 'the lookup rejected with the GreenletExit');
  await new Promise((r) => process.nextTick(r));
  t.ok(cbResult instanceof GreenletExit, 'the callback got the GreenletExit');
  unpatchDns();
});

t.test('withTimeout ends a lookup to a server that never answers', async (t) => {
  patchDns();
  const g = spawn(() => withTimeout(0.2, () => dns.promises.lookup('never.test'), { timeoutValue: 'gave up' }));
  t.equal(await g, 'gave up');
  const inner = spawn(() => withTimeout(0.2, () => dns.promises.lookup('never.test')));
  await t.rejects(inner.get(), Timeout);
  unpatchDns();
});

t.test('resolve* (callback and promise) are cancellable, also after dns.setServers', async (t) => {
  patchDns();
  dns.setServers([`127.0.0.1:${server.port}`]); // rebinds the module-level resolve* functions
  let cbResult: unknown;
  let pending: Promise<unknown> | undefined;
  const before = server.stats.queries;
  const g = spawn(async () => {
    dns.resolve4('never.test', (err) => { cbResult = err; });
    pending = dns.promises.resolve6('never.test');
    pending.catch(() => {}); // inspected below, after the kill
    await sleep(Infinity);
  });
  await waitQueries(before + 2);
  await g.kill();
  const s = (await state(pending!)) as { error?: unknown };
  t.ok(s.error instanceof GreenletExit);
  await new Promise((r) => process.nextTick(r));
  t.ok(cbResult instanceof GreenletExit);
  // Outside a greenlet nothing changes.
  t.same(await dns.promises.resolve4('v4only.test'), ['10.0.0.3']);
  unpatchDns();
  t.same(await new Promise((r) => dns.resolve4('v4only.test', (_e, a) => r(a))), ['10.0.0.3'], 'rebound originals still work');
});

t.test('10,000 concurrent patched lookups, none fails', async (t) => {
  const names = Array.from({ length: 10_000 }, (_, i) => `host${i}.bulk.test`);
  const bulk = await startDnsServer({ records: Object.fromEntries(names.map((n, i) => [n, { A: [`10.1.${i >> 8}.${i & 255}`] }])), rtt: 0.02 });
  dns.setServers([`127.0.0.1:${bulk.port}`]);
  t.teardown(async () => { dns.setServers([`127.0.0.1:${server.port}`]); await bulk.close(); });
  patchDns();
  const results = await Promise.allSettled(names.map((n) => dns.promises.lookup(n, { family: 4 })));
  const failed = results.filter((r) => r.status === 'rejected');
  t.equal(failed.length, 0, `failures: ${failed.slice(0, 3).map((f) => String((f as PromiseRejectedResult).reason)).join(', ')}`);
  t.same((results[258] as PromiseFulfilledResult<dns.LookupAddress>).value, { address: '10.1.1.2', family: 4 });
  unpatchDns();
});

t.test('hosts file re-read on change; resolv.conf and nsswitch parsing', async (t) => {
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { HostsFile } = await import('../src/resolver/hosts.js');
  const { parseResolvConf, parseNsswitch } = await import('../src/resolver/resolvconf.js');
  const dir = mkdtempSync(`${tmpdir()}/nodevent-hosts-`);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = `${dir}/hosts`;
  writeFileSync(path, '10.0.0.1 one.test One # comment\n::1 one.test\nbad-line\n');
  const hosts = new HostsFile(path);
  t.same(hosts.lookup('ONE.test'), ['10.0.0.1', '::1']);
  t.same(hosts.lookup('one'), ['10.0.0.1']);
  t.equal(hosts.lookup('one.test.'), undefined, 'a trailing dot does not match, as in glibc');
  writeFileSync(path, '10.0.0.2 two.test\n');
  await new Promise((r) => setTimeout(r, 150));
  t.same(hosts.lookup('two.test'), ['10.0.0.2']);
  t.equal(hosts.lookup('one.test'), undefined);
  const conf = { noTldQuery: false, noAaaa: false };
  t.same(parseResolvConf('domain a.test\nsearch b.test c.test.\noptions ndots:3 timeout:1\n'), { ...conf, search: ['b.test', 'c.test'], ndots: 3, timeout: 1, attempts: 2 });
  t.same(parseResolvConf('search x.test\ndomain y.test\n'), { ...conf, search: ['y.test'], ndots: 1, timeout: 5, attempts: 2 });
  t.same(parseResolvConf('options attempts:9 timeout:0\n'), { ...conf, search: [], ndots: 1, timeout: 1, attempts: 5 }, 'clamped as glibc does');
  // As glibc's res_init: an indented line is no line; `.` is the root, kept in its place; without
  // a search list the host name's domain is one; LOCALDOMAIN replaces the list, RES_OPTIONS adds options.
  t.same(parseResolvConf(' options ndots:3\n\tsearch a.test\nsearch . b.test\noptions no-tld-query\n').search, ['', 'b.test']);
  t.same(parseResolvConf(' options ndots:3\noptions no-tld-query no-aaaa\n'), { noTldQuery: true, noAaaa: true, search: [], ndots: 1, timeout: 5, attempts: 2 });
  t.same(parseResolvConf('options ndots:2\n', { hostname: 'vm.svc.test' }).search, ['svc.test'], 'the host name\'s domain');
  t.same(parseResolvConf('search a.test\n', { hostname: 'vm.svc.test' }).search, ['a.test']);
  t.same(parseResolvConf('search a.test\n', { hostname: 'vm', localdomain: 'x.test y.test' }).search, ['x.test', 'y.test'], 'LOCALDOMAIN');
  t.same(parseResolvConf('options ndots:2\n', { resOptions: 'ndots:4 attempts:1' }).ndots, 4, 'RES_OPTIONS');
  t.same(parseNsswitch('hosts: files dns\nhosts: dns\n').sources, ['dns'], 'the last hosts: line');
  t.same(parseNsswitch('hosts: files mdns4_minimal [NOTFOUND=return] dns\n'), { sources: ['files', 'mdns4_minimal', 'dns'], hasActions: false });
  t.same(parseNsswitch('hosts: files [NOTFOUND=return] dns\n').hasActions, true);
  t.same(parseNsswitch('passwd: files\nhosts:  files dns\n'), { sources: ['files', 'dns'], hasActions: false });
});

t.test('dns.setServers() between two lookups: the next lookup asks the new server', async (t) => {
  patchDns();
  const other = await startDnsServer({ records: { 'moved.test': { A: ['10.0.0.9'] } } });
  t.teardown(async () => {
    dns.setServers([`127.0.0.1:${server.port}`]);
    await other.close();
  });
  t.same(await dns.promises.lookup('v4only.test', { family: 4 }), { address: '10.0.0.3', family: 4 });
  dns.setServers([`127.0.0.1:${other.port}`]);
  // One lookup alone, as its turn's first question (sent at once, before the pump runs).
  t.same(await dns.promises.lookup('moved.test', { family: 4 }), { address: '10.0.0.9', family: 4 });
  t.equal(other.stats.queries, 1, 'asked of the new server');
  dns.setServers([`127.0.0.1:${server.port}`]);
  t.same(await dns.promises.lookup('a.test', { family: 4, all: true }), [{ address: '10.0.0.1', family: 4 }, { address: '10.0.0.2', family: 4 }]);
  t.equal(other.stats.queries, 1, 'and the old one again once it is back');
});
