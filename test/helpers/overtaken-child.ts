// Times how soon a question the server did not answer in order is asked again (argv: how many
// names o0.overtaken.test ...). The wire's resolve4 is wrapped before the engine takes it, to record
// when each name was sent. Runs without the coverage instrumentation of the test runner, against
// the test's server. Prints one JSON line.
import dns from 'node:dns';

const sent = new Map<string, number[]>();
const proto = dns.Resolver.prototype as unknown as Record<'resolve4', (...args: unknown[]) => unknown>;
const original = proto.resolve4;
proto.resolve4 = function (this: unknown, ...args: unknown[]) {
  const name = args[0] as string;
  const times = sent.get(name);
  if (times === undefined) sent.set(name, [performance.now()]);
  else times.push(performance.now());
  return original.apply(this, args);
};
const { CaresQueries } = await import('../../src/resolver/query.js');

const n = Number(process.argv[2]);
const queries = new CaresQueries({ servers: () => [`127.0.0.1:${process.env.NODEVENT_TEST_DNS_PORT}`] });
const outcomes = await Promise.all(Array.from({ length: n }, (_, i) => queries.ask(`o${i}.overtaken.test`, 'A').promise));
// From a name's first sending to its second, ms.
const gaps = [...sent.values()].filter((times) => times.length > 1).map((times) => times[1]! - times[0]!).sort((a, b) => a - b);
const mostSendings = Math.max(...[...sent.values()].map((times) => times.length));
console.log(JSON.stringify({
  answered: outcomes.filter((o) => o.addresses !== undefined).length,
  retransmits: queries.retransmits,
  fastRetransmits: queries.fastRetransmits,
  askedAgain: gaps.length,
  gaps: gaps.length === 0 ? [] : [gaps[0], gaps[Math.floor(gaps.length / 2)], gaps.at(-1)],
  mostSendings,
  ...queries.pacing,
}));
