import t from 'tap';
import dgram from 'node:dgram';
import dns from 'node:dns';
import * as packet from 'dns-packet';
import { startDnsServer } from '../src/testing/dns-server.js';

const records = {
  'a.test': { A: ['10.0.0.1', '10.0.0.2'], AAAA: ['fd00::1'] },
  'alias.test': { CNAME: 'a.test' },
  'v4only.test': { A: ['10.0.0.3'] },
  'redis.svc.test': { A: ['10.0.0.4'] },
};

t.test('answers A, AAAA, CNAME chains; NXDOMAIN, NODATA, SERVFAIL', async (t) => {
  const server = await startDnsServer({ records, servfail: ['broken.test'] });
  t.teardown(() => server.close());
  const r = new dns.promises.Resolver({ timeout: 500, tries: 1 });
  r.setServers([`127.0.0.1:${server.port}`]);
  t.same(await r.resolve4('a.test'), ['10.0.0.1', '10.0.0.2']);
  t.same(await r.resolve6('A.TEST.'), ['fd00::1']);
  t.same(await r.resolve4('alias.test'), ['10.0.0.1', '10.0.0.2']);
  t.same(await r.resolve4('redis.svc.test'), ['10.0.0.4'], 'full names with a search suffix');
  await t.rejects(r.resolve4('redis'), { code: 'ENOTFOUND' }, 'the bare short name is unknown to the server');
  await t.rejects(r.resolve4('nope.test'), { code: 'ENOTFOUND' });
  await t.rejects(r.resolve6('v4only.test'), { code: 'ENODATA' });
  await t.rejects(r.resolve4('broken.test'), { code: 'ESERVFAIL' });
  const ttl = await r.resolve4('a.test', { ttl: true });
  t.equal(ttl[0]!.ttl, 60);
  server.set('new.test', { A: ['10.9.9.9'] });
  t.same(await r.resolve4('new.test'), ['10.9.9.9']);
  t.ok(server.stats.queries >= 9);
  t.equal(server.address, '127.0.0.1');
});

t.test('neverAnswer drops; rtt delays every answer', async (t) => {
  const server = await startDnsServer({ records, neverAnswer: ['never.test'], rtt: 0.2 });
  t.teardown(() => server.close());
  const r = new dns.promises.Resolver({ timeout: 300, tries: 1 });
  r.setServers([`127.0.0.1:${server.port}`]);
  await t.rejects(r.resolve4('never.test'), { code: 'ETIMEOUT' });
  t.equal(server.stats.dropped, 1);
  // The answer is held back by the rtt (a lower bound only: never "faster than").
  const start = performance.now();
  t.same(await r.resolve4('a.test'), ['10.0.0.1', '10.0.0.2']);
  t.ok(performance.now() - start >= 190, 'answered no sooner than the rtt');
});

t.test('slow: a name answered after its own delay, behind names asked after it', async (t) => {
  const server = await startDnsServer({ records, slow: { 'A.test.': 0.3 } });
  t.teardown(() => server.close());
  const r = new dns.promises.Resolver({ timeout: 2000, tries: 1 });
  r.setServers([`127.0.0.1:${server.port}`]);
  const order: string[] = [];
  await Promise.all([
    r.resolve4('a.test').then(() => order.push('a.test')),
    r.resolve4('v4only.test').then(() => order.push('v4only.test')),
  ]);
  t.same(order, ['v4only.test', 'a.test'], 'the slow name, asked first, is answered last');
});

t.test('10,000 queries in flight, delayed, none dropped', async (t) => {
  const server = await startDnsServer({ records, rtt: 0.05 });
  t.teardown(() => server.close());
  const client = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 24, sendBufferSize: 1 << 24 });
  t.teardown(() => client.close());
  await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
  const N = 10_000;
  const seen = new Set<number>();
  const all = new Promise<void>((resolve) => {
    client.on('message', (msg) => {
      const reply = packet.decode(msg);
      if (reply.answers?.length === 2) seen.add(reply.id!);
      if (seen.size === N) resolve();
    });
  });
  // Sent in bursts of 1000 so the client's own buffer is not the bottleneck being measured.
  for (let i = 0; i < N; i++) {
    client.send(packet.encode({ type: 'query', id: i, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name: 'a.test' }] }), server.port, '127.0.0.1');
    if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
  }
  await all;
  t.equal(seen.size, N);
  t.equal(server.stats.answered, N);
});

t.test('bad options', async (t) => {
  await t.rejects(startDnsServer({ host: '0.0.0.0' }), { name: 'TypeError', message: /options\.host/ });
  await t.rejects(startDnsServer({ rtt: -1 }), { name: 'RangeError', message: /options\.rtt/ });
  await t.rejects(startDnsServer({ dropBeyond: '5' as unknown as number }), { code: 'ERR_INVALID_ARG_TYPE', message: /options\.dropBeyond/ });
  await t.rejects(startDnsServer({ dropBeyond: -1 }), { code: 'ERR_OUT_OF_RANGE', message: /options\.dropBeyond/ });
  await t.rejects(startDnsServer({ slow: { 'a.test': -1 } }), { name: 'RangeError', message: /options\.slow\['a\.test'\]/ });
});

t.test('dropBeyond: queries arriving while that many answers wait are dropped', async (t) => {
  const server = await startDnsServer({ records: { 'a.test': { A: ['10.0.0.1'] } }, rtt: 0.2, dropBeyond: 3 });
  t.teardown(() => server.close());
  const client = dgram.createSocket('udp4');
  t.teardown(() => client.close());
  const answers = new Set<number>();
  client.on('message', (msg) => answers.add(packet.decode(msg).id!));
  await new Promise<void>((r) => client.bind(0, '127.0.0.1', () => r()));
  for (let i = 0; i < 10; i++) client.send(packet.encode({ type: 'query', id: i, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name: 'a.test' }] }), server.port, '127.0.0.1');
  while (server.stats.queries < 10 || answers.size < 3) await new Promise((r) => setTimeout(r, 5));
  t.same([...answers].sort(), [0, 1, 2], 'the first three were answered');
  t.same({ overflowed: server.stats.overflowed, dropped: server.stats.dropped, answered: server.stats.answered }, { overflowed: 7, dropped: 7, answered: 3 });
});
