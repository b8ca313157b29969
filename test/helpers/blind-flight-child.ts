// Times the sendings of flights of questions sent blind. A flight is blind when no answer is on
// its way to pace it: after a silence of one retransmission timeout, and also right after the last
// flight was answered in full. The wire's resolve4/resolve6 are wrapped before the engine takes
// them. Runs without the coverage instrumentation of the test runner, so that the wire goes at its
// real speed, against the test's server (another process: its work does not slow the sending
// down). Prints one JSON line.
import dns from 'node:dns';

const sends: number[] = [];
const answers: number[] = [];
// Which synchronous stretch of code each sending was made in: a slice is sent in one.
const stretches: number[] = [];
let stretch = 0;
let stretchOpen = false;
const proto = dns.Resolver.prototype as unknown as Record<'resolve4' | 'resolve6', (...args: unknown[]) => unknown>;
for (const method of ['resolve4', 'resolve6'] as const) {
  const original = proto[method];
  proto[method] = function (this: unknown, ...args: unknown[]) {
    sends.push(performance.now());
    if (!stretchOpen) {
      stretchOpen = true;
      stretch++;
      queueMicrotask(() => (stretchOpen = false));
    }
    stretches.push(stretch);
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

/**
 * Asks `type` of every name; the sendings made before its first answer, from the first one (ms),
 * and how many went in the first stretch.
 */
async function flight(type: 'A' | 'AAAA'): Promise<{ answered: number; blindSends: number[]; firstStretch: number }> {
  const from = sends.length;
  const firstAnswer = answers.length;
  const got = answered(await Promise.all(Array.from({ length: n }, (_, i) => queries.ask(`b${i}.blind.test`, type).promise)));
  // Sent blind: before the first answer to this flight came back (on a slow machine, not all of it).
  const firstStretch = stretches.slice(from).filter((s) => s === stretches[from]).length;
  return { answered: got, blindSends: sends.slice(from).filter((at) => at < answers[firstAnswer]!).map((at) => at - sends[from]!), firstStretch };
}

// A first flight warms the code up.
const warm = await flight('A');
// The next one at once: the last answer has just come, but none is on its way.
const next = await flight('AAAA');
// Then a silence of one retransmission timeout.
await new Promise((resolve) => setTimeout(resolve, queries.pacing.rto + 20));
const sentBefore = sends.length;
const silence = await flight('A');
console.log(JSON.stringify({ warm, next, silence, sent: sends.length - sentBefore }));
