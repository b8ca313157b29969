// Against a real DNS server nobody here wrote: Debian's dnsmasq in a private network namespace,
// reached through the namespace's resolv.conf as any program reaches its resolver.
import t from 'tap';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createNetns, netnsUnavailable } from '../src/testing/netns.js';
import { findDnsmasq, startDnsmasq } from '../src/testing/dnsmasq.js';

const why = netnsUnavailable() ?? (findDnsmasq() === null ? 'dnsmasq is not installed (Debian: dnsmasq-base)' : null);

t.test('dnsmasq: a 5,000-name fan-out resolves every name; the README snippet + killAll exits at once', { skip: why ?? false }, async (t) => {
  const ns = createNetns(`nodevent-dnsmasq-${process.pid}`, {
    'resolv.conf': 'nameserver 127.0.0.1\n',
    hosts: '127.0.0.1 localhost\n',
    'nsswitch.conf': 'hosts: files dns\n',
  });
  t.teardown(() => ns.remove());
  const child = fileURLToPath(new URL('./helpers/dnsmasq-child.ts', import.meta.url));
  const loader = import.meta.resolve('@tapjs/typescript/import');
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(ns.exec[0]!, [...ns.exec.slice(1), process.execPath, '--import', loader, child, loader, './fanout-child.ts', './readme-snippet-child.ts'],
      { timeout: 100_000, env: { ...process.env, NODE_OPTIONS: '' } }, (err, out) => (err ? reject(err) : resolve(out)));
  });
  const results = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, Record<string, unknown>>;
  t.match(results.version, /^Dnsmasq version/);
  const fanout = results['./fanout-child.ts']!;
  t.same({ resolved: fanout.resolved, failures: fanout.failures, error: fanout.error }, { resolved: 5000, failures: [], error: undefined }, `every name resolved (${Math.round(fanout.ms as number)} ms)`);
  t.same(fanout.sample, { address: '10.3.1.44', family: 4 });
  const snippet = results['./readme-snippet-child.ts']!;
  t.same(snippet.values, ['10.0.0.7', null], 'one name answered by dnsmasq, the other forwarded to a server that never answers');
  t.ok((snippet.livedAfterMs as number) < 1500, `exited ${snippet.livedAfterMs} ms after joinAll returned`);
});

t.test('startDnsmasq refuses a port it cannot serve on, before starting anything', async (t) => {
  for (const port of [0, -1, 65536, 53.5]) {
    await t.rejects(startDnsmasq({ hosts: {}, port }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: /"options.port"/ }, `port ${port}`);
  }
});
