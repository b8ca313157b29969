// The DNS bench's relay, native (bench/relay.c) and in Node (its fallback): answers come back one
// delay late, and what passes is counted (queries, distinct questions, answers), on which the
// bench's retransmission counts rest.
import t from 'tap';
import dns from 'node:dns';
import { startDnsServer } from '../src/testing/dns-server.js';

interface Counters { queries: number; distinct: number; answers: number }
interface Relay { kind: string; port: number; reset(): Promise<Counters>; close(): unknown }
type StartRelay = (options: { kind: string; port: number; upstream: { host: string; port: number }; rtt: number }) => Promise<Relay>;
const { startRelay } = (await import(new URL('../bench/relay.mjs', import.meta.url).href)) as { startRelay: StartRelay };

const names = Array.from({ length: 20 }, (_, i) => `r${i}.relay.test`);
const records = Object.fromEntries(names.map((name, i) => [name, { A: [`10.5.0.${i}`] }]));

for (const kind of ['native', 'node']) {
  t.test(`the ${kind} relay holds every answer back by its delay and counts what passes`, async (t) => {
    const server = await startDnsServer({ records });
    t.teardown(() => server.close());
    const relay = await startRelay({ kind, port: 0, upstream: { host: '127.0.0.1', port: server.port }, rtt: 0.2 });
    t.teardown(() => relay.close());
    t.match(relay.kind, kind === 'native' ? /^native \(bench\/relay\.c\)$/ : /^Node \(/, relay.kind);
    t.ok(relay.port > 0, `bound to a free port (${relay.port})`);
    const resolver = new dns.promises.Resolver({ timeout: 5000, tries: 1 });
    resolver.setServers([`127.0.0.1:${relay.port}`]);
    const start = performance.now();
    const answers = await Promise.all(names.map((name) => resolver.resolve4(name)));
    const elapsed = performance.now() - start;
    t.same(answers[7], ['10.5.0.7'], 'answers relayed to the asker, with its own ids');
    t.ok(elapsed >= 195, `held back 200 ms: all 20 answered after ${elapsed.toFixed(0)} ms`);
    t.same(await relay.reset(), { queries: 20, distinct: 20, answers: 20 });
    // The same question twice in a round: once more than the distinct ones, a retransmission.
    await resolver.resolve4(names[0]!);
    await resolver.resolve4(names[0]!);
    t.same(await relay.reset(), { queries: 2, distinct: 1, answers: 2 }, 'a question asked again counts as a repeat');
    t.same(await relay.reset(), { queries: 0, distinct: 0, answers: 0 }, 'counters start again at each reset');
  });
}
