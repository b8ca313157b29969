// A DNS question every asker gave up on is cancelled: it leaves c-ares at once, so no retry nobody
// waits for keeps the process alive (the README's first snippet exits right after its joinAll).
import t from 'tap';
import { CaresQueries } from '../src/resolver/query.js';
import { startDnsServer } from '../src/testing/dns-server.js';
import { runChild as run } from './helpers/child.js';

const server = await startDnsServer({
  records: { 'www.crappytaxidermy.com': { A: ['10.0.0.7'] }, 'slow.test': { A: ['10.0.0.8'] } },
  neverAnswer: ['www.walterpeck.com', 'never.test'],
});
t.teardown(() => server.close());

const until = async (what: () => boolean): Promise<void> => {
  while (!what()) await new Promise((r) => setTimeout(r, 5));
};

/** Runs a helper program (test/helpers) against the DNS server on `port`: its last line, and when it exited. */
async function runChild(name: string, args: string[], port: number): Promise<{ out: Record<string, unknown>; exitedAt: number }> {
  return run(name, { args, env: { NODEVENT_TEST_DNS_PORT: String(port) } });
}

t.test("the README's first snippet + killAll exits within 1.5 s after its joinAll timeout", async (t) => {
  const { out, exitedAt } = await runChild('readme-snippet-child.ts', [], server.port);
  const { at: joinedAt, values } = out as { at: number; values: unknown[] };
  t.same(values, ['10.0.0.7', null], 'one name answered, the other never');
  t.ok(exitedAt - joinedAt < 1500, `exited ${exitedAt - joinedAt} ms after joinAll returned`);
});

for (const kind of ['http', 'fetch']) {
  t.test(`a killed greenlet's ${kind} request cancels its lookup; a live request for the same name is answered`, async (t) => {
    // An agent connects outside the requester's scope (the connection is the agent's), but the
    // lookup is the request's (http) or its origin's waiting requests' (fetch): before, it ran on
    // until resolv.conf's patience (about 10 s).
    const late = await startDnsServer({ records: { 'late.test': { A: ['127.0.0.1'] } }, neverAnswer: ['never.test'], rtt: 0.3 });
    t.teardown(() => late.close());
    const { out, exitedAt } = await runChild('abandoned-request-child.ts', [kind], late.port);
    const { at, body, killed } = out as { at: number; body: string; killed: string[] };
    t.same(killed, ['GreenletExit', 'GreenletExit']);
    t.equal(body, 'ok', 'the request nobody killed got its answer');
    t.ok(exitedAt - at < 1500, `exited ${exitedAt - at} ms after the last request`);
  });
}

// undici's connect serves whichever request its client has queued, and fails them all when it
// fails: its lookup is given up only once no request of the origin waits, and taken up again when
// one comes.
for (const kind of ['together', 'later', 'outside']) {
  t.test(`fetch over one connection per origin (${kind}): a kill never fails a live request's connect`, async (t) => {
    const late = await startDnsServer({ records: { 'late.test': { A: ['127.0.0.1'] } }, rtt: 0.3 });
    t.teardown(() => late.close());
    const { out, exitedAt } = await runChild('shared-connect-child.ts', [kind], late.port);
    const { killed, live, at } = out as { killed: string; live: string; at: number };
    t.equal(killed, 'GreenletExit');
    t.equal(live, 'ok', 'the live request got its answer over the connect the killed one began');
    t.ok(exitedAt - at < 1500, `exited ${exitedAt - at} ms after the last request`);
  });
}

t.test('a question stays in flight while one asker waits, and is cancelled when the last gives up', async (t) => {
  const queries = new CaresQueries({ servers: () => [`127.0.0.1:${server.port}`], channels: 1 });
  const before = server.stats.queries;
  const first = queries.ask('never.test', 'A');
  const second = queries.ask('never.test', 'A');
  t.equal(second.promise, first.promise, 'identical questions are asked once');
  await until(() => server.stats.queries > before);
  first.release();
  await new Promise((r) => setImmediate(r));
  t.equal(queries.inFlight, 1, 'still asked for the remaining asker');
  second.release();
  t.same(await first.promise, { code: 'ECANCELLED' }, 'cancelled once nobody waits');
  t.equal(queries.inFlight, 0);
});

t.test("cancelling a channel asks its other questions again: they are still answered", async (t) => {
  const slow = await startDnsServer({ records: { 'slow.test': { A: ['10.0.0.8'] } }, neverAnswer: ['never.test'], rtt: 0.3 });
  t.teardown(() => slow.close());
  const queries = new CaresQueries({ servers: () => [`127.0.0.1:${slow.port}`], channels: 1 });
  const never = queries.ask('never.test', 'A');
  const wanted = queries.ask('slow.test', 'A');
  await until(() => slow.stats.queries >= 2);
  never.release();
  t.same(await never.promise, { code: 'ECANCELLED' });
  t.same(await wanted.promise, { addresses: ['10.0.0.8'] }, 'the other question on the cancelled channel is answered');
  t.equal(slow.stats.queries, 3, 'it was asked once more');
  wanted.release();
});

t.test('a queued question whose askers all left is never sent', async (t) => {
  // A window of one: the first question is sent at once, the second waits for room.
  const queries = new CaresQueries({ servers: () => [`127.0.0.1:${server.port}`], concurrency: 1 });
  const before = server.stats.queries;
  const first = queries.ask('www.crappytaxidermy.com', 'A');
  const asked = queries.ask('www.crappytaxidermy.com', 'AAAA');
  t.equal(queries.pending, 1, 'queued behind the first');
  asked.release();
  t.same(await asked.promise, { code: 'ECANCELLED' });
  t.same(await first.promise, { addresses: ['10.0.0.7'] });
  first.release();
  t.equal(server.stats.queries, before + 1, 'only the first was sent');
});
