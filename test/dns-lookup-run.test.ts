import t, { type Test } from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaresLookup, type LookupRequest } from '../src/resolver/cares.js';
import { CaresQueries } from '../src/resolver/query.js';
import { startDnsServer } from '../src/testing/index.js';

// One lookup in flight (`Run` in src/resolver/cares.ts) is the receiver of its questions' outcomes
// and the resource its scope owns. These are the paths where that is easy to get wrong: outcomes
// that arrive within start() (the cache), a walk of several groups (search domains), a cancel, and
// a scope that disposes of it.

function files(t: Test, resolvConf: string): { hosts: string; resolvConf: string; nsswitch: string } {
  const dir = mkdtempSync(join(tmpdir(), 'nodevent-run-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const paths = { hosts: join(dir, 'hosts'), resolvConf: join(dir, 'resolv.conf'), nsswitch: join(dir, 'nsswitch.conf') };
  writeFileSync(paths.hosts, '127.0.0.1 localhost\n');
  writeFileSync(paths.resolvConf, resolvConf);
  writeFileSync(paths.nsswitch, 'hosts: files dns\n');
  return paths;
}

const request = (hostname: string, family: 0 | 4 | 6 = 0): LookupRequest => ({ hostname, family, hints: 0, all: true, order: 'verbatim' });

function lookup(engine: CaresLookup, req: LookupRequest): { result: Promise<string[]> } {
  return { result: new Promise((resolve, reject) => engine.start(req, (err, addresses) => (err === null ? resolve(addresses!) : reject(err)))) };
}

t.test('answers from the cache complete a lookup of A and AAAA within start()', async (t) => {
  const server = await startDnsServer({ records: { 'both.run.test': { A: ['10.9.0.1'], AAAA: ['fd00::9'] } }, ttl: 300 });
  t.teardown(() => server.close());
  const engine = new CaresLookup(new CaresQueries({ cache: true, servers: () => [`127.0.0.1:${server.port}`] }), files(t, 'options ndots:1\n'));
  t.same((await lookup(engine, request('both.run.test')).result).sort(), ['10.9.0.1', 'fd00::9'], 'asked the server');
  t.equal(server.stats.queries, 2);
  // Both outcomes come within start(); with two addresses the order (RFC 6724) is still sorted
  // asynchronously, so done follows, without a question.
  t.same((await lookup(engine, request('both.run.test')).result).sort(), ['10.9.0.1', 'fd00::9'], 'from the cache');
  t.equal(server.stats.queries, 2, 'the cache answered');
  // One address needs no sorting: done is called within start(), once.
  let calls = 0;
  let got: string[] | undefined;
  engine.start(request('both.run.test', 4), (err, addresses) => { calls++; got = addresses; });
  t.equal(calls, 1, 'done was called within start(), once');
  t.same(got, ['10.9.0.1']);
  engine.start(request('both.run.test', 6), (err, addresses) => { calls++; got = addresses; });
  t.equal(calls, 2);
  t.same(got, ['fd00::9']);
  t.equal(server.stats.queries, 2, 'still no question');
});

t.test('a walk through the search domains, with the cache answering some of its groups', async (t) => {
  const server = await startDnsServer({ records: { 'svc.two.run.test': { A: ['10.9.0.2'] } }, ttl: 300 });
  t.teardown(() => server.close());
  // ndots 2: "svc" is tried with each search domain first; one.run.test has no such name.
  const engine = new CaresLookup(new CaresQueries({ cache: true, servers: () => [`127.0.0.1:${server.port}`] }), files(t, 'search one.run.test two.run.test\noptions ndots:2\n'));
  t.same(await lookup(engine, request('svc', 4)).result, ['10.9.0.2'], 'found under the second domain');
  const first = server.stats.queries;
  t.ok(first >= 2, `the first domain was asked too (${first} questions)`);
  // Again: the positive answer is cached; the walk still asks what is not (a negative answer).
  t.same(await lookup(engine, request('svc', 4)).result, ['10.9.0.2'], 'the same answer the second time');
  t.same(await lookup(engine, request('nothing', 4)).result.catch((e: NodeJS.ErrnoException) => e.code), 'ENOTFOUND', 'a name no domain has: ENOTFOUND');
});

t.test('a cancelled lookup never calls done, and its question is cancelled', async (t) => {
  const server = await startDnsServer({ records: {}, neverAnswer: ['slow.run.test'] });
  t.teardown(() => server.close());
  const queries = new CaresQueries({ servers: () => [`127.0.0.1:${server.port}`] });
  const engine = new CaresLookup(queries, files(t, 'options ndots:1\n'));
  let called = 0;
  const run = engine.start(request('slow.run.test', 4), () => { called++; });
  t.equal(queries.inFlight, 1, 'the question is out');
  run.cancel();
  run.cancel();
  // The channel is cancelled at the end of the turn: nothing is in flight, nothing waits.
  for (let i = 0; i < 20 && queries.inFlight > 0; i++) await new Promise((resolve) => setImmediate(resolve));
  t.equal(queries.inFlight, 0, 'nothing left in flight');
  t.equal(called, 0, 'done never called');
});

t.test('a scope that disposes of the lookup: done gets the reason, once, and the scope no longer owns it', async (t) => {
  const server = await startDnsServer({ records: { 'fast.run.test': { A: ['10.9.0.3'] } }, neverAnswer: ['slow.run.test'] });
  t.teardown(() => server.close());
  const queries = new CaresQueries({ servers: () => [`127.0.0.1:${server.port}`] });
  const engine = new CaresLookup(queries, files(t, 'options ndots:1\n'));
  const owned = new Set<{ dispose(reason: unknown): void }>();
  const scope = { own: (r: { dispose(reason: unknown): void }) => owned.add(r), disown: (r: { dispose(reason: unknown): void }) => owned.delete(r) };
  const outcomes: unknown[] = [];
  engine.start(request('slow.run.test', 4), (err, addresses) => outcomes.push(err ?? addresses), scope);
  t.equal(owned.size, 1, 'owned while it runs');
  const reason = new Error('killed');
  for (const r of [...owned]) r.dispose(reason);
  for (const r of [...owned]) r.dispose(reason);
  t.same(outcomes, [reason], 'done got the reason once');
  // A lookup that ends by itself leaves its scope.
  const done = new Promise((resolve) => engine.start(request('fast.run.test', 4), (err, addresses) => resolve(err ?? addresses), scope));
  t.equal(owned.size, 2, 'the disposed lookup is still in this test\'s set (disposing does not disown), the new one joined');
  t.same(await done, ['10.9.0.3']);
  t.equal(owned.size, 1, 'the finished lookup disowned itself');
  for (let i = 0; i < 20 && queries.inFlight > 0; i++) await new Promise((resolve) => setImmediate(resolve));
  t.equal(queries.inFlight, 0, 'the disposed lookup\'s question was cancelled');
});

t.test('a question Node refuses to send fails at once and leaves nothing in flight', async (t) => {
  // Node 22 and later throw on a NUL byte in the name. The lookups hand such names to getaddrinfo;
  // a question asked directly must still end, not stay counted in flight and be sent again from a
  // timer, where the throw would end the process.
  const server = await startDnsServer({ records: { 'ok.run.test': { A: ['10.9.0.9'] } } });
  t.teardown(() => server.close());
  const queries = new CaresQueries({ servers: () => [`127.0.0.1:${server.port}`] });
  const outcome = await new Promise<{ addresses?: string[]; code?: string }>((resolve) => queries.listen('bad\u0000.run.test', 'A', resolve));
  if (Number(process.versions.node.split('.')[0]) >= 22) t.equal(outcome.code, 'EBADNAME', 'refused by Node');
  else t.ok(outcome.code !== undefined || outcome.addresses !== undefined, 'Node 20 sends the name up to its NUL byte');
  t.equal(queries.inFlight, 0);
  t.equal(queries.pending, 0);
  // The engine goes on: the next question is answered.
  const next = await new Promise<{ addresses?: string[] }>((resolve) => queries.listen('ok.run.test', 'A', resolve));
  t.same(next.addresses, ['10.9.0.9']);
  t.ok(new CaresLookup(queries).needsOriginal('bad\u0000.run.test'), 'a lookup leaves such a name to getaddrinfo');
});
