import t from 'tap';
import { createNetns, netnsUnavailable } from '../src/testing/netns.js';
import { runInNetns } from './helpers/netns-child.js';

// The socket module's resolution functions against Python's (glibc's getaddrinfo and
// gethostbyname_r), in a private network namespace whose /etc files and DNS server are ours.
const reason = netnsUnavailable();
if (reason !== null) {
  t.skip(`socket-module differential check skipped: ${reason}`);
} else {
  // Search domains with `hosts: files dns`; DNS before the hosts file, two nameservers, no search
  // domain; resolv.conf's rarer options; no DNS at all.
  const configs = {
    'search domains, files then dns': ['nameserver 127.0.0.1\nsearch svc.test other.test\noptions ndots:1 timeout:1 attempts:1\n', 'hosts: files dns\n'],
    'dns then files, two nameservers': ['nameserver 127.0.0.1\nnameserver ::1\noptions ndots:2 timeout:1 attempts:1\n', 'hosts: dns files\n'],
    'the root in the search list, no-tld-query, no-aaaa': ['nameserver 127.0.0.1\nsearch svc.test . other.test\noptions ndots:3 timeout:1 attempts:1 no-tld-query no-aaaa\n', 'hosts: files dns\n'],
    'the hosts file alone': ['nameserver 127.0.0.1\noptions timeout:1 attempts:1\n', 'hosts: files\n'],
  };
  for (const [config, [resolvConf, nsswitch]] of Object.entries(configs)) t.test(`the socket module's resolution gives Python's answers and errors: ${config}`, async (t) => {
    const ns = createNetns(`nodevent-net-${process.pid}`, {
      'resolv.conf': resolvConf,
      hosts: '127.0.0.1 localhost\n::1 localhost ip6-localhost\n10.5.5.5 hostsonly.test hostsalias\nfd00::55 hostsonly.test\n10.6.6.6 v4hosts.test\n'
        + '10.7.7.7 twice.test\n10.7.7.7 twice.test\n0:0::1 twice.test loop6.test\n::FFFF:a07:708 mapped.test\n'
        // Two loopback addresses: glibc's rule 9 keeps 127.0.0.1 (the source itself) first.
        + '127.0.0.1 two.test\n127.0.0.2 two.test\n127.0.0.2 two-rev.test\n127.0.0.1 two-rev.test\n',
      'nsswitch.conf': nsswitch,
    });
    t.teardown(ns.remove);
    const out = await runInNetns(ns, 'net-differential-child.ts', 120_000);
    type Result = { ok?: unknown; error?: unknown };
    const results = JSON.parse(out) as { fn: string; host: string; family?: number; flags?: number; python: Result; ours: Result }[];
    t.ok(results.length > 400);
    let successes = 0, errors = 0;
    for (const r of results) {
      const python = r.python;
      t.same(r.ours, python, `${r.fn} ${JSON.stringify(r.host)}${r.fn === 'getaddrinfo' ? ` family ${r.family} flags ${r.flags}` : ''}`);
      if (python.error) errors++; else successes++;
    }
    t.ok(successes > 200 && errors > 50, `both answers (${successes}) and errors (${errors}) compared`);
  });
}
