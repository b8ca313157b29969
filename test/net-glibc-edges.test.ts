// The socket module's resolution functions on glibc's edge cases, each call made beside Python's
// (glibc underneath) and compared: null hosts and ports, bad flags, socket types and protocols,
// service strings, scoped literals, service-table case. Then, in a private network namespace
// whose DNS server glibc asks too, names too long for DNS and gethostbyname_ex's address order.
// This file is also the program run inside the namespace (NODEVENT_GLIBC_EDGES_CHILD=1).
import { execFile, execFileSync } from 'node:child_process';
import {
  AF_INET, AF_INET6, AI_CANONNAME, AI_NUMERICSERV, AI_PASSIVE, EAI_BADFLAGS, EAI_NONAME, EAI_SERVICE, NI_NUMERICHOST,
  NI_NUMERICSERV, SOCK_DGRAM, SOCK_RAW, SOCK_STREAM, getaddrinfo, gethostbyaddr, gethostbyname, gethostbyname_ex, getnameinfo,
  getservbyname, getservbyport, type ResolverName,
} from '../src/net/index.js';

/** `bytes`: Python gets the host as bytes (glibc's answer, not the idna codec's UnicodeError for a long label). */
type Call = { fn: string; args: unknown[]; resolver?: ResolverName; bytes?: boolean };
type Outcome = { ok: unknown } | { error: [name: string | undefined, errno: number | null] };

// Reads a JSON list of calls on stdin; prints each one's result, or its error's class and errno.
const PYTHON = `
import json, socket, sys
def plain(v):
    if isinstance(v, (tuple, list)): return [plain(x) for x in v]
    if isinstance(v, (socket.AddressFamily, socket.SocketKind)): return int(v)
    return v
out = []
for c in json.load(sys.stdin):
    fn, args = c['fn'], c['args']
    if fn == 'getnameinfo': args = [tuple(args[0]), args[1]]
    if c.get('bytes'): args = [args[0].encode()] + args[1:]
    try: out.append({'ok': plain(getattr(socket, fn)(*args))})
    except OSError as e: out.append({'error': [type(e).__name__, e.errno]})
print(json.dumps(out))
`;

function python(calls: Call[]): Promise<Outcome[]> {
  return new Promise((resolve, reject) => {
    const child = execFile('python3', ['-c', PYTHON], { maxBuffer: 1 << 24, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as Outcome[]);
    });
    child.stdin!.end(JSON.stringify(calls));
  });
}

async function ours(c: Call): Promise<Outcome> {
  const a = c.args as never[];
  const resolver = c.resolver ?? 'cares';
  try {
    const result = c.fn === 'getaddrinfo' ? await getaddrinfo(a[0], a[1], { family: a[2], type: a[3], proto: a[4], flags: a[5], resolver })
      : c.fn === 'gethostbyname' ? await gethostbyname(a[0], { resolver })
      : c.fn === 'gethostbyname_ex' ? await gethostbyname_ex(a[0], { resolver })
      : c.fn === 'gethostbyaddr' ? await gethostbyaddr(a[0], { resolver })
      : c.fn === 'getnameinfo' ? await getnameinfo(a[0], a[1], { resolver })
      : c.fn === 'getservbyname' ? await getservbyname(a[0], a[1])
      : await getservbyport(a[0], a[1]);
    return { ok: JSON.parse(JSON.stringify(result)) };
  } catch (error) {
    const e = error as { name?: string; errno?: number };
    // getservbyname/getservbyport reject with a plain Error where Python raises OSError.
    return { error: [e.name === 'Error' ? 'OSError' : e.name, e.errno ?? null] };
  }
}

/** Runs every call through Python and through nodevent: `[call, python's, ours]`. */
async function compare(calls: Call[]): Promise<Array<[Call, Outcome, Outcome]>> {
  const reference = await python(calls);
  const results: Array<[Call, Outcome, Outcome]> = [];
  for (const [i, c] of calls.entries()) results.push([c, reference[i]!, await ours(c)]);
  return results;
}

const gai = (host: string | null, port: number | string | null, family = 0, type = 0, proto = 0, flags = 0): Call => ({ fn: 'getaddrinfo', args: [host, port, family, type, proto, flags] });

// A name of exactly `length` characters, in labels of at most `label`.
const longName = (length: number, label = 9): string => {
  let name = `${'a'.repeat(label)}.`.repeat(Math.ceil(length / (label + 1))).slice(0, length);
  if (name.endsWith('.')) name = `${name.slice(0, -1)}b`;
  return name;
};
// Four dots (fewer than ndots:5 below: the search list comes first), `length` characters.
const fourDots = (length: number): string => {
  const label = Math.floor((length - 4) / 5);
  const labels = Array.from({ length: 5 }, (_, i) => (i < 4 ? 'c' : 'd').repeat(label));
  labels[4] += 'd'.repeat(length - 4 - 5 * label);
  return labels.join('.');
};

/** The namespace side: its DNS server on 127.0.0.1:53 answers glibc and the `cares` resolver alike. */
async function childMain(): Promise<void> {
  const { startDnsServer } = await import('../src/testing/dns-server.js');
  const found = { A: ['10.0.0.1'] };
  const records: Record<string, { A: string[] }> = {
    // An answer whose order getaddrinfo's sort changes: here only 127.0.0.7 is reachable (rule 1).
    'mixed.test': { A: ['10.1.1.1', '192.0.2.3', '127.0.0.7'] },
    [longName(253)]: found, [longName(254)]: found, [longName(255)]: found,
    [`${'a'.repeat(63)}.test`]: found, [`${'a'.repeat(64)}.test`]: found,
    // As is first (five dots or more): the search domains would make these too long.
    [`${longName(244)}.svc.test`]: found, [longName(245)]: found,
    // The search list first: `.other.test` makes a 244-character name too long, which ends the list.
    [fourDots(244)]: found, [fourDots(246)]: found, [`${fourDots(230)}.other.test`]: found,
  };
  const server = await startDnsServer({ port: 53, records });
  const names = [longName(253), `${longName(253)}.`, longName(254), `${longName(254)}.`, longName(255), `${longName(255)}.`,
    `${'a'.repeat(63)}.test`, `${'a'.repeat(64)}.test`, longName(244), longName(245), `${longName(246)}`, fourDots(244), fourDots(246), fourDots(245), fourDots(230)];
  const calls: Call[] = [];
  for (const resolver of ['cares', 'getaddrinfo'] as const) {
    for (const host of names) {
      for (const family of [0, AF_INET, AF_INET6]) calls.push({ ...gai(host, 80, family, SOCK_STREAM), resolver, bytes: true });
      calls.push({ fn: 'gethostbyname', args: [host], resolver, bytes: true });
    }
    calls.push({ ...gai('mixed.test', 80, AF_INET, SOCK_STREAM), resolver }, { fn: 'gethostbyname', args: ['mixed.test'], resolver });
    calls.push({ fn: 'gethostbyaddr', args: ['<broadcast>'], resolver });
  }
  // gethostbyname_ex: the answer's order with the `cares` resolver.
  calls.push({ fn: 'gethostbyname_ex', args: ['mixed.test'], resolver: 'cares' });
  const results = await compare(calls);
  // The `getaddrinfo` resolver sees only getaddrinfo's sorted list.
  const sorted = await ours({ fn: 'gethostbyname_ex', args: ['mixed.test'], resolver: 'getaddrinfo' });
  await server.close();
  process.stdout.write(JSON.stringify({ results, sorted }));
}

if (process.env.NODEVENT_GLIBC_EDGES_CHILD === '1') {
  await childMain();
} else {
  const { default: t } = await import('tap');
  const { createNetns, netnsUnavailable } = await import('../src/testing/netns.js');
  const { runInNetns } = await import('./helpers/netns-child.js');
  let noPython: string | null = null;
  try {
    execFileSync('python3', ['--version'], { stdio: 'ignore' });
  } catch {
    noPython = 'python3 is not installed';
  }
  const label = (c: Call): string => `${c.fn}(${c.args.map((a) => (typeof a === 'string' && a.length > 40 ? `<${a.length} chars>` : JSON.stringify(a))).join(', ')})${c.resolver ? ` ${c.resolver}` : ''}`;

  t.test("Python's answers and errors on getaddrinfo's edge cases, without DNS", { skip: noPython ?? false }, async (t) => {
    const calls: Call[] = [
      // A null host: loopback or the wildcard, both families in getaddrinfo's order.
      gai(null, 80, 0, SOCK_STREAM, 0, AI_PASSIVE), gai(null, 80, 0, SOCK_STREAM), gai(null, 80, 0, 0, 0, AI_PASSIVE),
      gai(null, 'http', 0, SOCK_STREAM, 0, AI_PASSIVE), gai(null, 80, AF_INET6, SOCK_STREAM, 0, AI_PASSIVE), gai(null, 80, AF_INET, SOCK_DGRAM),
      // Neither host nor port; '*' is neither; '' is no port (0).
      gai(null, null), gai(null, null, 0, 0, 0, -1), gai(null, null, 0, 0, 0, AI_CANONNAME), gai('*', null), gai(null, '*'),
      gai('*', 80, AF_INET, SOCK_STREAM, 0, AI_PASSIVE), gai('*', 80, AF_INET, SOCK_STREAM), gai(null, '', AF_INET, SOCK_STREAM),
      // Flags: bits glibc does not know, AI_CANONNAME without a host; checked before the family.
      gai('127.0.0.1', 80, 0, SOCK_STREAM, 0, -1), gai('127.0.0.1', 80, 0, SOCK_STREAM, 0, 0x10000), gai('127.0.0.1', 80, 0, SOCK_STREAM, 0, 0x800),
      gai('127.0.0.1', 80, AF_INET, SOCK_STREAM, 0, 0x7ff), gai(null, 80, 0, SOCK_STREAM, 0, AI_CANONNAME), gai('*', 80, 0, SOCK_STREAM, 0, AI_CANONNAME),
      gai('127.0.0.1', 80, 99, SOCK_STREAM, 0, 0x10000), gai(null, 80, 99, SOCK_STREAM, 0, AI_CANONNAME), gai('127.0.0.1', 80, 0, 99, 0, 0x10000),
      // SOCK_RAW takes no port ('' and null are none).
      gai('127.0.0.1', 80, AF_INET, SOCK_RAW), gai('127.0.0.1', 0, AF_INET, SOCK_RAW), gai('127.0.0.1', '', AF_INET, SOCK_RAW),
      gai('127.0.0.1', null, AF_INET, SOCK_RAW), gai('127.0.0.1', 'http', AF_INET, SOCK_RAW), gai('127.0.0.1', null, AF_INET, SOCK_RAW, 99),
      gai('127.0.0.1', null, AF_INET, 0, 99), gai('127.0.0.1', 80, AF_INET, 0, 99),
      // Socket types and protocols: glibc's table picks one entry.
      gai('127.0.0.1', 80, AF_INET, 0, 132), gai('127.0.0.1', 80, AF_INET, 5), gai('127.0.0.1', null, AF_INET, 5), gai('127.0.0.1', 80, AF_INET, 6),
      gai('127.0.0.1', 80, AF_INET, 0, 33), gai('127.0.0.1', 80, AF_INET, 0, 136), gai('127.0.0.1', 80, AF_INET, SOCK_DGRAM, 136),
      gai('127.0.0.1', 80, AF_INET, SOCK_STREAM, 17), gai('127.0.0.1', 80, AF_INET, 4), gai('127.0.0.1', 80, AF_INET, 4, 6),
      gai('127.0.0.1', 'http', AF_INET, 0, 132), gai('127.0.0.1', 'http', AF_INET, 5), gai('127.0.0.1', 'http', AF_INET, 0, 6),
      gai('127.0.0.1', 'domain', AF_INET), gai('127.0.0.1', 80, AF_INET, 0, 0),
      // Service strings as strtoul reads them.
      ...['', ' 80', '\t80', '\n80', '+80', '080', '-0', '80 ', '-80', '0x50', '  ', '8 0', 'HTTP', '*'].map((p) => gai('127.0.0.1', p, AF_INET, SOCK_STREAM)),
      gai('127.0.0.1', '-80', AF_INET, SOCK_STREAM, 0, AI_NUMERICSERV), gai('127.0.0.1', 'http', AF_INET, SOCK_STREAM, 0, AI_NUMERICSERV),
      gai('127.0.0.1', ' 80', AF_INET, SOCK_STREAM, 0, AI_NUMERICSERV), gai('127.0.0.1', 'http', 0, 99, 0, AI_NUMERICSERV),
      // Scoped literals: an interface's name only for link-local addresses, else a number.
      ...['fe80::1%nosuch', 'fe80::1%lo', 'fe80::1%LO', 'fe80::1%1', 'fe80::1%01', 'fe80::1%0', 'fd00::1%lo', 'fd00::1%7', 'fd00::1%4294967295',
        'fd00::1%4294967296', 'fd00::1%1a', 'ff01::1%lo', 'ff02::1%lo', 'ff05::1%lo', '::ffff:1.2.3.4%1', '::ffff:1.2.3.4%lo'].map((h) => gai(h, 80, 0, SOCK_STREAM)),
      gai('::ffff:1.2.3.4%1', 80, AF_INET, SOCK_STREAM), gai('::ffff:1.2.3.4%lo', 80, AF_INET, SOCK_STREAM), gai('fe80::1%nosuch', 80, AF_INET, SOCK_STREAM),
      gai('0:0:0:0:0:ffff:1.2.3.4%1', 80, AF_INET, SOCK_STREAM),
      // getnameinfo reads its host as getaddrinfo does a numeric one.
      { fn: 'getnameinfo', args: [['127.1', 80], 0] }, { fn: 'getnameinfo', args: [['0x7f000001', 80], NI_NUMERICHOST] },
      { fn: 'getnameinfo', args: [['fe80::1%lo', 80], NI_NUMERICHOST | NI_NUMERICSERV] }, { fn: 'getnameinfo', args: [['::1%lo', 80], NI_NUMERICHOST] },
      { fn: 'getnameinfo', args: [['0:0::1', 80], NI_NUMERICHOST | NI_NUMERICSERV] }, { fn: 'getnameinfo', args: [[' 1.2.3.4', 80], NI_NUMERICHOST] },
      // The services table is matched as written.
      { fn: 'getservbyport', args: [22, 'TCP'] }, { fn: 'getservbyport', args: [22, 'tcp'] }, { fn: 'getservbyport', args: [22, ''] },
      { fn: 'getservbyport', args: [53, 'udp'] }, { fn: 'getservbyname', args: ['ssh', 'TCP'] }, { fn: 'getservbyname', args: ['SSH'] },
      { fn: 'getservbyname', args: ['ssh', ''] }, { fn: 'getservbyname', args: ['ssh', 'tcp'] }, { fn: 'getservbyname', args: ['WWW', 'tcp'] },
      // '<broadcast>': 255.255.255.255 to gethostbyname, no name to gethostbyname_r (herror 0).
      { fn: 'gethostbyname', args: ['<broadcast>'] }, { fn: 'gethostbyname_ex', args: ['<broadcast>'] }, gai('<broadcast>', 80, AF_INET, SOCK_STREAM),
    ];
    const results = await compare(calls);
    for (const [c, python, got] of results) t.same(got, python, label(c));
    const outcome = (c: Call): Outcome => results.find(([call]) => call === c)![2];
    // What the comparison must have covered, whatever this machine's addresses are.
    t.same((outcome(calls[0]!) as { ok: unknown[][] }).ok.map((e) => (e[4] as unknown[])[0]), ['0.0.0.0', '::'], 'the wildcard: 0.0.0.0 first (rule 5: only its label matches its source)');
    t.same(outcome(calls[6]!), { error: ['gaierror', EAI_NONAME] });
    t.same(outcome(calls[15]!), { error: ['gaierror', EAI_BADFLAGS] });
    t.same(outcome(calls[23]!), { error: ['gaierror', EAI_SERVICE] }, 'SOCK_RAW with a port');
    t.same(outcome(calls[31]!), { ok: [[AF_INET, SOCK_STREAM, 132, '', ['127.0.0.1', 80]]] }, 'proto SCTP: one entry');
  });

  t.test('what differs from Python on purpose: bad arguments are errors naming them', async (t) => {
    await t.rejects(getaddrinfo('127.0.0.1', '70000', { type: SOCK_STREAM }), { name: 'RangeError', message: /"port"/ }, 'glibc would keep the low 16 bits');
    await t.rejects(getaddrinfo('127.0.0.1', 80, { flags: 2 ** 31 }), { name: 'RangeError', message: /"options.flags"/ }, "Python's OverflowError");
    await t.rejects(getaddrinfo('127.0.0.1', 80, { proto: 1.5 }), { name: 'TypeError', message: /"options.proto"/ });
    await t.rejects(getnameinfo(['127.1', 80, 0, 0], NI_NUMERICHOST), { name: 'TypeError', message: /"sockaddr"/ }, 'Python: IPv4 sockaddr must be 2 tuple');
    await t.rejects(getaddrinfo('127.0.0.1', 'http', { type: SOCK_STREAM, flags: AI_NUMERICSERV }), { name: 'gaierror', errno: EAI_NONAME, message: /port 'http'/ });
  });

  const reason = noPython ?? netnsUnavailable();
  t.test("with DNS: names too long for a question, and gethostbyname_ex's address order", { skip: reason ?? false }, async (t) => {
    const ns = createNetns(`nodevent-edges-${process.pid}`, {
      'resolv.conf': 'nameserver 127.0.0.1\nsearch svc.test other.test\noptions ndots:5 timeout:1 attempts:1\n',
      hosts: '127.0.0.1 localhost\n::1 localhost ip6-localhost\n',
      'nsswitch.conf': 'hosts: files dns\n',
    });
    t.teardown(ns.remove);
    process.env.NODEVENT_GLIBC_EDGES_CHILD = '1';
    let out: string;
    try {
      out = await runInNetns(ns, '../net-glibc-edges.test.ts', 120_000);
    } finally {
      delete process.env.NODEVENT_GLIBC_EDGES_CHILD;
    }
    const { results, sorted } = JSON.parse(out) as { results: Array<[Call, Outcome, Outcome]>; sorted: Outcome };
    t.ok(results.length > 100);
    let answers = 0, noname = 0;
    for (const [c, python, got] of results) {
      t.same(got, python, label(c));
      if ('ok' in python) answers++;
      else if (python.error[1] === EAI_NONAME) noname++;
    }
    t.ok(answers > 30 && noname > 30, `names found (${answers}) and too long (${noname}) both compared`);
    const ex = results.find(([c]) => c.fn === 'gethostbyname_ex')!;
    t.same(ex[2], { ok: ['mixed.test', [], ['10.1.1.1', '192.0.2.3', '127.0.0.7']] }, "gethostbyname_ex: the answer's order");
    const first = results.find(([c]) => c.fn === 'gethostbyname' && c.args[0] === 'mixed.test')!;
    t.same(first[2], { ok: '127.0.0.7' }, "gethostbyname: getaddrinfo's first");
    t.same((sorted as { ok: [string, string[], string[]] }).ok[2].slice().sort(), ['10.1.1.1', '127.0.0.7', '192.0.2.3'], "the getaddrinfo resolver: the same addresses, in getaddrinfo's order");
  });
}
