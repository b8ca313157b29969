import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtinServices, getservbyname, getservbyport, getaddrinfo, gaierror, parseServices, EAI_SERVICE, SOCK_STREAM } from '../src/net/index.js';

t.test("getservbyname('http') is 80 and getservbyport(80) is 'http'", async (t) => {
  t.equal(await getservbyname('http'), 80);
  t.equal(await getservbyname('http', 'tcp'), 80);
  t.equal(await getservbyport(80), 'http');
  t.equal(await getservbyport(await getservbyname('ssh')), 'ssh');
  t.equal(await getservbyname('domain', 'udp'), 53);
  t.equal(await getservbyname('www'), 80, 'aliases count');
});

t.test('unknown services and bad arguments', async (t) => {
  await t.rejects(getservbyname('no-such-service'), { message: /service\/proto not found: 'no-such-service'/ });
  await t.rejects(getservbyname('http', 'udp-ish'), { message: /not found/ });
  await t.rejects(getservbyport(65000), { message: /port\/proto not found/ });
  await t.rejects(getservbyport(70000), { name: 'RangeError', message: /"port"/ });
  await t.rejects(getservbyname(80 as unknown as string), { name: 'TypeError', message: /"name"/ });
  const err = await getaddrinfo('127.0.0.1', 'no-such-service', { type: SOCK_STREAM }).catch((e: unknown) => e);
  t.type(err, gaierror);
  t.equal((err as gaierror).errno, EAI_SERVICE);
  t.match((err as gaierror).message, /no-such-service.*port/);
});

t.test('names and protocols are matched as written, as glibc does', async (t) => {
  await t.rejects(getservbyport(22, 'TCP'), { message: /port\/proto not found: 22\/TCP/ });
  await t.rejects(getservbyport(22, ''), { message: /port\/proto not found/ }, "'' names no protocol");
  await t.rejects(getservbyname('ssh', 'TCP'), { message: /service\/proto not found/ });
  await t.rejects(getservbyname('SSH'), { message: /service\/proto not found/ });
  t.equal(await getservbyname('ssh', 'tcp'), 22);
  t.equal(await getservbyport(22, null as unknown as string), 'ssh', 'null: any protocol');
  t.same(parseServices('Demo 7000/TCP'), [{ name: 'Demo', port: 7000, proto: 'TCP', aliases: [] }], 'the file as written');
});

t.test('a given services file; the built-in table when the file is absent', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'services');
  writeFileSync(path, '# test\nnodevent-demo 6789/tcp demo   # the chapter\nnodevent-demo 6789/udp\n');
  t.equal(await getservbyname('demo', 'tcp', { servicesFile: path }), 6789);
  t.equal(await getservbyport(6789, 'udp', { servicesFile: path }), 'nodevent-demo');
  await t.rejects(getservbyname('http', undefined, { servicesFile: path }), { message: /not found/ });
  const absent = join(dir, 'missing');
  t.equal(await getservbyname('https', 'tcp', { servicesFile: absent }), 443);
  t.equal(await getservbyport(22, 'tcp', { servicesFile: absent }), 'ssh');
  t.ok(builtinServices.some((e) => e.name === 'http' && e.port === 80));
});
