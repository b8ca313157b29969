import t from 'tap';
import { isIP } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inetAton, ipFamily } from '../src/resolver/addresses.js';
import { HostsFile } from '../src/resolver/hosts.js';
import { gethostbyname, getaddrinfo, SOCK_STREAM } from '../src/net/index.js';

// The lookup path tells IP literals from names by scanning characters, not with Node's regular
// expressions: it must answer exactly as net.isIP does, on whatever Node line runs the test.

/** A deterministic generator (mulberry32): the same corpus on every run. */
function generator(seed: number): (n: number) => number {
  let state = seed >>> 0;
  return (n) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = Math.imul(state ^ (state >>> 15), state | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return (((x ^ (x >>> 14)) >>> 0) % n);
  };
}

/** Strings near the edges of both grammars: parts that are valid, too long, out of range, misplaced. */
function corpus(): string[] {
  const pick = generator(20261130);
  const out = new Set<string>([
    '', ':', '::', ':::', '::1', '1::', '1::2::3', '::ffff:1.2.3.4', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::',
    '1:2:3:4:5:6:7:8::', '::1:2:3:4:5:6:7', '::1:2:3:4:5:6:7:8', '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4',
    'fe80::1%eth0', 'fe80::1%', '::1%a-b.c:d', '::1%a_b', '1.2.3.4%eth0', '127.0.0.1', '127.1', '0.0.0.0',
    '255.255.255.255', '256.0.0.1', '01.2.3.4', '1.2.3.04', '1.2.3.4.', '.1.2.3.4', 'localhost', 'host1', 'h0.bench.test',
  ]);
  const tokens = ['0', '1', '9', '00', '01', '255', '256', '300', 'a', 'f', 'F', 'g', 'ffff', '12345', ':', '::', '.', '%', 'eth0', '-', ' ', '1.2.3.4'];
  for (let i = 0; i < 60_000; i++) {
    let s = '';
    for (let k = 1 + pick(10); k > 0; k--) s += tokens[pick(tokens.length)];
    out.add(s);
  }
  const groups = ['0', '1', 'ab', 'ffff', 'FfFf', '12345', '', '1.2.3.4', '256.1.1.1'];
  for (let i = 0; i < 60_000; i++) {
    const parts: string[] = [];
    for (let k = pick(10); k > 0; k--) parts.push(groups[pick(groups.length)]!);
    let s = parts.join(':');
    if (pick(4) === 0) s = `::${s}`;
    if (pick(4) === 0) s = `${s}::`;
    if (pick(5) === 0) s += `%${['eth0', '', 'a-b', 'a_b', '1:2', '.'][pick(6)]}`;
    out.add(s);
  }
  for (let i = 0; i < 20_000; i++) {
    const parts: string[] = [];
    for (let k = pick(6); k > 0; k--) parts.push(String(pick(300)).padStart(pick(4), '0'));
    out.add(parts.join('.'));
  }
  return [...out];
}

t.test('ipFamily answers as net.isIP does', async (t) => {
  const strings = corpus();
  const differ = strings.filter((s) => ipFamily(s) !== isIP(s));
  t.same(differ.slice(0, 10).map((s) => [s, isIP(s), ipFamily(s)]), [], `${strings.length} strings`);
  const counts = { 0: 0, 4: 0, 6: 0 };
  for (const s of strings) counts[isIP(s)]++;
  t.ok(counts[4] > 1000 && counts[6] > 1000 && counts[0] > 1000, `the corpus has literals of both families and non-literals: ${JSON.stringify(counts)}`);
});

t.test('a hosts file keeps the lines whose address inet_pton reads, and skips the others', async (t) => {
  // As glibc: checked with getaddrinfo in a network namespace whose /etc/hosts had these lines (a
  // zone after an IPv6 address, as net.isIP allows it, makes glibc skip the line).
  const dir = mkdtempSync(join(tmpdir(), 'nodevent-hosts-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'hosts');
  writeFileSync(path, [
    '10.1.2.3 four.test',
    'fd00::3 six.test',
    '::ffff:10.1.2.4 mapped.test',
    'fe80::3%lo scoped.test',
    '10.1.2.256 bad.test',
    '010.1.2.3 bad.test',
    'fd00::12345 bad.test',
    'fd00:::3 bad.test',
    'one.test two.test',
    '',
  ].join('\n'));
  const table = new HostsFile(path).table;
  t.same([...table.addresses].sort(), [
    ['four.test', ['10.1.2.3']],
    ['mapped.test', ['::ffff:10.1.2.4']],
    ['six.test', ['fd00::3']],
  ]);
  t.equal(await gethostbyname('four.test', { hostsFile: path }), '10.1.2.3');
  // As glibc reads the file for IPv4 (checked with gethostbyname_ex in a namespace).
  t.equal(await gethostbyname('mapped.test', { hostsFile: path }), '10.1.2.4', 'a v4-mapped line is its IPv4 address');
  t.same((await getaddrinfo('six.test', 80, { type: SOCK_STREAM, hostsFile: path })).map((e) => [e[0], e[4][0]]), [[10, 'fd00::3']]);
});

t.test('literals are answered without a resolver, of either family', async (t) => {
  t.equal(await gethostbyname('192.0.2.7'), '192.0.2.7');
  t.same((await getaddrinfo('2001:db8::7', 80, { type: SOCK_STREAM })).map((e) => e[4][0]), ['2001:db8::7']);
  const err = await gethostbyname('2001:db8::7').catch((e: unknown) => e);
  t.match(err, { errno: -9, code: 'EAI_ADDRFAMILY' }, 'gethostbyname of an IPv6 literal: EAI_ADDRFAMILY, as glibc and Python say');
});

t.test('inetAton reads what glibc inet_aton reads exactly, and nothing more', async (t) => {
  // Each expected value is what getaddrinfo(name, AF_INET, AI_NUMERICHOST) gave with this machine's
  // glibc (2.36); a random corpus of 63,000 strings of these characters showed no difference.
  const cases: Array<[string, string | undefined]> = [
    ['127.1', '127.0.0.1'], ['2130706433', '127.0.0.1'], ['0x7f000001', '127.0.0.1'], ['0x7f.1', '127.0.0.1'],
    ['0XFF.0xff.0Xff.0xFF', '255.255.255.255'], ['0377.0377.0377.0377', '255.255.255.255'], ['010.0.0.1', '8.0.0.1'],
    ['1.2.3', '1.2.0.3'], ['1.65535', '1.0.255.255'], ['1.16777215', '1.255.255.255'], ['4294967295', '255.255.255.255'],
    ['0', '0.0.0.0'], ['0000000000000000000001', '0.0.0.1'], ['127.0.0.01', '127.0.0.1'],
    ['1.2.3.4.5', undefined], ['256.1', undefined], ['1.16777216', undefined], ['1.2.65536', undefined],
    ['4294967296', undefined], ['0x1ffffffff', undefined], ['0400.0.0.1', undefined], ['0x100.1', undefined],
    ['08', undefined], ['09.1', undefined], ['0x', undefined], ['0xg', undefined], ['0x.1', undefined], ['1.', undefined], ['.1', undefined],
    ['1..2', undefined], ['1 ', undefined], ['1a', undefined], ['1e3', undefined], ['+1', undefined], ['-1', undefined],
    ['0xx1', undefined], ['h1.test', undefined], ['1password.test', undefined], ['', undefined],
  ];
  for (const [text, address] of cases) t.equal(inetAton(text), address, JSON.stringify(text));
  // getaddrinfo answers these without DNS, so the patched lookup leaves them to it.
  t.equal(await gethostbyname('127.1'), '127.0.0.1');
  t.equal(await gethostbyname('0x7f000001'), '127.0.0.1');
});
