// Times the sendings of a flight of questions sent blind (after a silence of one retransmission
// timeout), and how the next flight, clocked by answers, goes out. The wire's resolve4/resolve6
// are wrapped before the engine takes them. Runs without the coverage instrumentation of the
// test runner, so that the wire goes at its real speed, against the test's server (another
// process: its work does not slow the sending down). Prints one JSON line.
import dns from 'node:dns';

const sends: number[] = [];
const answers: number[] = [];
const proto = dns.Resolver.prototype as unknown as Record<'resolve4' | 'resolve6', (...args: unknown[]) => unknown>;
for (const method of ['resolve4', 'resolve6'] as const) {
  const original = proto[method];
  proto[method] = function (this: unknown, ...args: unknown[]) {
    sends.push(performance.now());
    const callback = args.pop() as (...results: unknown[]) => void;
    return original.call(this, ...args, (...results: unknown[]) => {
      answers.push(performance.now());
      callback(...results);
    });
  };
}
const { CaresQueries } = await import('../../src/resolver/query.js');

const n = 1000;
// Slices of 32: a warm process sends 32 questions well within the 4 ms between two blind slices.
const queries = new CaresQueries({ servers: () => [`127.0.0.1:${process.env.NODEVENT_TEST_DNS_PORT}`], slice: 32 });
const answered = (outcomes: Array<{ addresses?: string[] }>): number => outcomes.filter((o) => o.addresses !== undefined).length;

// A first flight warms the code up; then a silence of one retransmission timeout.
const warm = answered(await Promise.all(Array.from({ length: n }, (_, i) => queries.ask(`b${i}.blind.test`, 'A').promise)));
await new Promise((resolve) => setTimeout(resolve, queries.pacing.rto + 20));
const from = sends.length;
const firstAnswer = answers.length;
const blind = answered(await Promise.all(Array.from({ length: n }, (_, i) => queries.ask(`b${i}.blind.test`, 'AAAA').promise)));
// Sent blind: before the first answer to this flight came back (on a slow machine, not all of it).
const blindSends = sends.slice(from).filter((at) => at < answers[firstAnswer]!).map((at) => at - sends[from]!);
const sent = sends.length - from;

// Answers now clock the pace: in-flight questions after each turn while some wait.
const again = Array.from({ length: 512 }, (_, i) => queries.ask(`c${i}.blind.test`, 'A'));
const progress = [queries.inFlight];
while (queries.pending > 0) {
  await new Promise((resolve) => setImmediate(resolve));
  progress.push(queries.inFlight);
}
await Promise.all(again.map((a) => a.promise));
console.log(JSON.stringify({ warm, blind, sent, blindSends, progress }));
