import t from 'tap';
import { createNetns, netnsUnavailable } from '../src/testing/netns.js';
import { runInNetns } from './helpers/netns-child.js';

// getaddrinfo reaches a test DNS server only through /etc/resolv.conf, so the comparison runs in a
// child process inside a private network namespace whose /etc files are ours.
const reason = netnsUnavailable();
if (reason !== null) {
  t.skip(`dns differential check skipped: ${reason}`);
} else {
  // With search domains, and without them beside a second nameserver: glibc's error for a name no
  // server answers well depends on both (family 4 reports EAI_AGAIN only when the last question
  // sent got no usable reply, and a SERVFAIL sends the question on to the next nameserver).
  const configs = {
    'search domains': 'nameserver 127.0.0.1\nsearch svc.test other.test\noptions ndots:1 timeout:1 attempts:1\n',
    'two nameservers, no search domain': 'nameserver 127.0.0.1\nnameserver ::1\noptions ndots:1 timeout:1 attempts:1\n',
    // An indented line is ignored; the root in the list; no single label asked as it is; no AAAA.
    'root in the search list, no-tld-query, no-aaaa': 'nameserver 127.0.0.1\n options ndots:3\nsearch svc.test . other.test\noptions timeout:1 attempts:1 no-tld-query no-aaaa\n',
  };
  // The last `hosts:` line counts: dns before files there (the last source's failure is the error).
  const nsswitch = (config: string): string => (config.startsWith('root') ? 'hosts: files dns\nhosts: dns files\n' : 'hosts: files dns\n');
  for (const [config, resolvConf] of Object.entries(configs)) t.test(`patched dns.lookup gives getaddrinfo's answers and errors: ${config}`, async (t) => {
    const ns = createNetns(`nodevent-dns-${process.pid}`, {
      'resolv.conf': resolvConf,
      hosts: '127.0.0.1 localhost\n::1 localhost ip6-localhost\n10.5.5.5 hostsonly.test hostsalias\nfd00::55 hostsonly.test\n10.6.6.6 v4hosts.test\n'
        + '10.7.7.7 twice.test\n10.7.7.7 twice.test\n0:0::1 twice.test loop6.test\n::FFFF:a07:708 mapped.test\n::ffff:0:10.7.7.9 translated.test\n',
      'nsswitch.conf': nsswitch(config),
    });
    t.teardown(ns.remove);
    const out = await runInNetns(ns, 'dns-differential-child.ts', 90_000);
    const results = JSON.parse(out) as { host: string; options: unknown; original: unknown; patched: unknown }[];
    t.ok(results.length > 200);
    let successes = 0, errors = 0;
    for (const r of results) {
      t.same(r.patched, r.original, `${r.host} ${JSON.stringify(r.options) ?? ''}`);
      if ((r.original as { error?: unknown }).error) errors++; else successes++;
    }
    t.ok(successes > 50 && errors > 20, `both answers (${successes}) and errors (${errors}) compared`);
  });
}
