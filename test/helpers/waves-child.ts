// Times the slices sent between two waves of a flight's answers: the first flight goes out in one
// slice, so its answers come back together, and make room for more than the answer-clocked slices
// send while they come; the rest of that room goes after the wave, with no answer coming. The
// wire's resolve4 is wrapped before the engine takes it. Runs without the coverage
// instrumentation of the test runner, against the test's server. Prints one JSON line.
import dns from 'node:dns';

// Each slice is sent in one synchronous stretch: its start, and whether an answer came before it
// since the slice before.
const slices: { at: number; afterAnswer: boolean; sent: number }[] = [];
let open = false;
let answeredSince = false;
const proto = dns.Resolver.prototype as unknown as Record<'resolve4', (...args: unknown[]) => unknown>;
const original = proto.resolve4;
proto.resolve4 = function (this: unknown, ...args: unknown[]) {
  if (!open) {
    open = true;
    queueMicrotask(() => (open = false));
    slices.push({ at: performance.now(), afterAnswer: answeredSince, sent: 0 });
    answeredSince = false;
  }
  slices.at(-1)!.sent++;
  const callback = args.pop() as (...results: unknown[]) => void;
  return original.call(this, ...args, (...results: unknown[]) => {
    answeredSince = true;
    callback(...results);
  });
};
const { CaresQueries } = await import('../../src/resolver/query.js');

const n = Number(process.argv[2]);
const first = 512;
const queries = new CaresQueries({ servers: () => [`127.0.0.1:${process.env.NODEVENT_TEST_DNS_PORT}`], slice: 16, firstSlice: first });
const outcomes = await Promise.all(Array.from({ length: n }, (_, i) => queries.ask(`w${i}.waves.test`, 'A').promise));
// Slices after the first answer with no answer since the slice before (between waves), and how
// long after the slice before each began.
const gaps: number[] = [];
for (let i = 1; i < slices.length; i++) {
  const slice = slices[i]!;
  if (!slice.afterAnswer && slice.at > slices[0]!.at + queries.pacing.srtt / 2) gaps.push(slice.at - slices[i - 1]!.at);
}
console.log(JSON.stringify({
  answered: outcomes.filter((o) => o.addresses !== undefined).length,
  firstSlice: slices[0]!.sent,
  between: gaps.length,
  closest: Math.min(...gaps),
  srtt: queries.pacing.srtt,
}));
