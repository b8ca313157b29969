// Counts the sendings of each event-loop turn, and of each millisecond, once answers clock a flight. The process is held busy
// for 30 ms when the first answer comes back (a garbage collection, a long callback), so that a
// few hundred answers wait in the sockets and the next turn reads them together: each made room
// for one or two questions. The wire's resolve4 is wrapped before the engine takes it. Runs
// without the coverage instrumentation of the test runner, against the test's server. Prints one
// JSON line.
import dns from 'node:dns';

let turn = 0;
let counting = true;
const tick = (): void => {
  turn++;
  if (counting) setImmediate(tick);
};
setImmediate(tick);
const perTurn = new Map<number, number>();
const clockedSends: number[] = [];
let answered = false;
const proto = dns.Resolver.prototype as unknown as Record<'resolve4', (...args: unknown[]) => unknown>;
const original = proto.resolve4;
proto.resolve4 = function (this: unknown, ...args: unknown[]) {
  if (answered) {
    perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1);
    clockedSends.push(performance.now());
  }
  const callback = args.pop() as (...results: unknown[]) => void;
  return original.call(this, ...args, (...results: unknown[]) => {
    if (!answered) {
      answered = true;
      const until = performance.now() + 30;
      while (performance.now() < until);
    }
    callback(...results);
  });
};
const { CaresQueries } = await import('../../src/resolver/query.js');

const n = 4000;
const slice = 32;
const queries = new CaresQueries({ servers: () => [`127.0.0.1:${process.env.NODEVENT_TEST_DNS_PORT}`], slice });
const outcomes = await Promise.all(Array.from({ length: n }, (_, i) => queries.ask(`c${i}.clocked.test`, 'A').promise));
counting = false;
const counts = [...perTurn.values()];
console.log(JSON.stringify({
  slice,
  answered: outcomes.filter((o) => o.addresses !== undefined).length,
  sentClocked: counts.reduce((a, b) => a + b, 0),
  mostInATurn: Math.max(...counts),
  mostInAMillisecond: Math.max(...clockedSends.map((at, i) => clockedSends.filter((other, j) => j >= i && other < at + 1).length)),
}));
