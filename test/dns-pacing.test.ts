// Pacing: a server that drops queries beyond a queue depth (a full socket buffer) still answers
// every name of a large fan-out, and loss is noticed from the measured round trip, not after
// resolv.conf's timeout.
import t from 'tap';
import dgram from 'node:dgram';
import { CaresQueries } from '../src/resolver/query.js';
import { Pacing } from '../src/resolver/pacing.js';
import { startDnsServer } from '../src/testing/dns-server.js';
import { runChild } from './helpers/child.js';

/** Records for `count` names, `name(i)`, each with one A address in 10.`net`.0.0/16. */
function numbered(count: number, name: (i: number) => string, net: number): Record<string, { A: string[] }> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [name(i), { A: [`10.${net}.${i >> 8}.${i & 255}`] }]));
}

t.test('every name resolves from a server dropping bursts, without waiting a resolv.conf timeout', async (t) => {
  const n = 2000;
  const records = numbered(n, (i) => `p${i}.pace.test`, 2);
  // 20 ms round trip; more than 100 answers waiting: the query is dropped.
  const server = await startDnsServer({ records, rtt: 0.02, dropBeyond: 100 });
  t.teardown(() => server.close());
  const resolvConfTimeoutMs = 5000;
  const queries = new CaresQueries({ servers: () => [`127.0.0.1:${server.port}`], patience: () => 2 * resolvConfTimeoutMs });
  const start = performance.now();
  const outcomes = await Promise.all(Array.from({ length: n }, (_, i) => queries.ask(`p${i}.pace.test`, 'A').promise));
  const elapsed = performance.now() - start;
  const failed = outcomes.filter((o) => o.addresses === undefined);
  t.equal(failed.length, 0, `failures: ${JSON.stringify(failed.slice(0, 3))}`);
  t.same(outcomes[300], { addresses: ['10.2.1.44'] });
  t.ok(server.stats.overflowed > 0, `the server dropped bursts (${server.stats.overflowed} queries)`);
  t.ok(queries.retransmits > 0 && queries.pacing.losses > 0, 'losses were seen and asked again');
  // The first flight was mostly lost: the window goes down to what the server took, not to half of
  // it, or what is asked again floods the server round after round (three times the names were).
  t.ok(queries.retransmits < 2 * n, `${queries.retransmits} questions asked again for ${n} names`);
  t.ok(queries.pacing.rto < resolvConfTimeoutMs / 4, `loss timeout from the measured RTT: ${queries.pacing.rto} ms`);
  t.ok(elapsed < resolvConfTimeoutMs, `done in ${Math.round(elapsed)} ms, less than one resolv.conf timeout`);
});

t.test('a name never answered amid steady traffic: asked again with a doubled timeout each time, and the window is not cut', async (t) => {
  const name = (i: number): string => `o${i}.order.test`;
  const server = await startDnsServer({ rtt: 0.02, neverAnswer: ['never.order.test'] });
  t.teardown(() => server.close());
  for (let i = 0; i < 1000; i++) server.set(name(i), { A: [`10.4.${i >> 8}.${i & 255}`] });
  const queries = new CaresQueries({ servers: () => [`127.0.0.1:${server.port}`], patience: () => 1500 });
  const never = queries.ask('never.order.test', 'A');
  const asked = Array.from({ length: 160 }, (_, i) => queries.ask(name(i), 'A'));
  // A wave of new names every 20 ms: answers keep coming, so the timeout stays at its 100 ms floor.
  const waves = setInterval(() => {
    for (let k = 0; k < 10 && asked.length < 1000; k++) asked.push(queries.ask(name(asked.length), 'A'));
  }, 20);
  t.teardown(() => clearInterval(waves));
  const outcome = await never.promise.finally(() => clearInterval(waves));
  t.same(outcome, { code: 'ETIMEOUT' }, 'the name never answered times out after `patience`');
  const outcomes = await Promise.all(asked.map((a) => a.promise));
  t.equal(outcomes.filter((o) => o.addresses !== undefined).length, asked.length, `every other name answered (${asked.length})`);
  t.equal(queries.retransmits, server.stats.dropped - 1, 'it alone was asked again');
  // Lost after 100, then 200, 400, 800 ms: about 4 sendings in 1.5 s (16 with a fixed timeout).
  t.ok(server.stats.dropped <= 6, `each loss doubled its timeout: ${server.stats.dropped} sendings in 1.5 s`);
  t.equal(queries.pacing.losses, 0, 'one question lost alone among answered ones is no congestion: the window was never cut');
});

t.test('ten names never answered, asked together before a batch: a small flight mostly lost does not take the window down', async (t) => {
  const name = (i: number): string => `d${i}.dead.test`;
  const never = Array.from({ length: 10 }, (_, i) => `gone${i}.dead.test`);
  const server = await startDnsServer({ rtt: 0.05, neverAnswer: never });
  t.teardown(() => server.close());
  for (let i = 0; i < 1500; i++) server.set(name(i), { A: [`10.5.${i >> 8}.${i & 255}`] });
  const queries = new CaresQueries({ servers: () => [`127.0.0.1:${server.port}`], patience: () => 1000 });
  const dead = never.map((n) => queries.ask(n, 'A').promise);
  // Waves of 500 names, 100 ms apart: little is in flight when the ten are found lost together.
  const asked: Array<Promise<{ addresses?: string[] }>> = [];
  for (let wave = 0; wave < 3; wave++) {
    if (wave > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    for (let i = 0; i < 500; i++) asked.push(queries.ask(name(asked.length), 'A').promise);
  }
  const outcomes = await Promise.all(asked);
  t.equal(outcomes.filter((o) => o.addresses !== undefined).length, 1500, 'every other name answered');
  t.same(await Promise.all(dead), never.map(() => ({ code: 'ETIMEOUT' })), 'the ten time out');
  // Taken for a server's limit (ten lost of the few in flight), the window went down to 16 and grew
  // gently from there, to under 200 by the end.
  t.ok(queries.pacing.window >= 1024, `the window is at most halved (${queries.pacing.window})`);
});

t.test('a name never answered, asked A and AAAA together after answers: backed off as one name, the window not cut', async (t) => {
  // Both questions of the name are lost together: that is the name's loss, not a dropped burst.
  // Before, each sending went again after the 100 ms floor (16 sendings in 1.5 s), and the window was cut.
  const server = await startDnsServer({ records: { 'warm.test': { A: ['10.4.9.1'] } }, neverAnswer: ['never.both.test'] });
  t.teardown(() => server.close());
  const queries = new CaresQueries({ servers: () => [`127.0.0.1:${server.port}`], patience: () => 1500 });
  for (let i = 0; i < 3; i++) t.same(await queries.ask('warm.test', 'A').promise, { addresses: ['10.4.9.1'] });
  const asked = [queries.ask('never.both.test', 'A'), queries.ask('never.both.test', 'AAAA')];
  t.same(await Promise.all(asked.map((a) => a.promise)), [{ code: 'ETIMEOUT' }, { code: 'ETIMEOUT' }]);
  // Lost after 100, 200, 400, 800 ms: 4 sendings of each type in 1.5 s, 5 if the timeout was above its floor.
  t.ok(server.stats.dropped <= 10, `each loss doubled its timeout: ${server.stats.dropped} sendings of the two questions in 1.5 s`);
  t.equal(queries.pacing.losses, 0, 'one name lost is no congestion: the window was never cut');
});

t.test('a name answered slower than the timeout: its first sending, left in flight when found lost, still answers it', async (t) => {
  // A first answer at once: the timeout is then the 100 ms floor, and the slow name is found lost
  // every 100 ms. Had each sending found lost been cancelled, the 300 ms answer would be thrown
  // away each time, until the back-off gave a sending enough time.
  const server = await startDnsServer({ records: { 'fast.test': { A: ['10.5.0.2'] }, 'slow.test': { A: ['10.5.0.1'] } }, slow: { 'slow.test': 0.3 } });
  t.teardown(() => server.close());
  const queries = new CaresQueries({ servers: () => [`127.0.0.1:${server.port}`], patience: () => 5000 });
  t.same(await queries.ask('fast.test', 'A').promise, { addresses: ['10.5.0.2'] });
  t.same(await queries.ask('slow.test', 'A').promise, { addresses: ['10.5.0.1'] }, 'answered');
  t.ok(queries.retransmits >= 1, `it was found lost (${queries.retransmits} times) and asked again`);
  t.equal(queries.lateAnswers, 1, 'but the answer that settled it came to its first sending');
  // Its later sending, still in flight, is cancelled (a turn for cancel's answers to come back),
  // not left to wait 300 ms for an answer nobody wants.
  for (let turn = 0; turn < 3 && queries.inFlight > 0; turn++) await new Promise((resolve) => setImmediate(resolve));
  t.equal(queries.inFlight, 0, 'nothing left in flight');
});

t.test('a nameserver that never answers, listed first: each name is answered by the next one after one timeout of ours', async (t) => {
  const n = 200;
  const server = await startDnsServer({ records: Object.fromEntries(Array.from({ length: n }, (_, i) => [`n${i}.second.test`, { A: [`10.6.0.${i}`] }])) });
  t.teardown(() => server.close());
  // A socket that reads every query and answers none (a host gone behind a firewall).
  const hole = dgram.createSocket('udp4');
  let swallowed = 0;
  hole.on('message', () => swallowed++);
  await new Promise<void>((resolve) => hole.bind(0, '127.0.0.1', resolve));
  t.teardown(() => hole.close());
  const queries = new CaresQueries({ servers: () => [`127.0.0.1:${hole.address().port}`, `127.0.0.1:${server.port}`], patience: () => 10_000 });
  const outcomes = await Promise.all(Array.from({ length: n }, (_, i) => queries.ask(`n${i}.second.test`, 'A').promise));
  t.equal(outcomes.filter((o) => o.addresses !== undefined).length, n, 'every name answered');
  t.same(outcomes[7], { addresses: ['10.6.0.7'] });
  t.ok(swallowed >= 1 && swallowed <= n, `the first server got each name once at most (${swallowed})`);
  t.equal(server.stats.queries, n, 'the second answered each once');
  const before = swallowed;
  t.same(await queries.ask('n0.second.test', 'A').promise, { addresses: ['10.6.0.0'] });
  t.equal(swallowed, before, 'a new question goes to the server that answers first');
  t.equal(server.stats.queries, n + 1);
});

t.test('the window doubles per round trip while answers return, and halves once per loss event', async (t) => {
  const p = new Pacing({ initialWindow: 10, maxWindow: 100, minWindow: 4 });
  t.notOk(p.clocked(0), 'nothing answered yet: questions go blind');
  for (let i = 0; i < 10; i++) p.answered(50, 100 + i);
  t.equal(p.window, 20, 'slow start: +1 per answer');
  t.ok(p.clocked(105), 'an answer came since 105: clocked');
  t.notOk(p.clocked(110), 'none since 110, however recent the last: blind');
  t.ok(p.rto >= 2 * 50 && p.rto < 1000, `rto from the measured 50 ms: ${p.rto}`);
  p.lost(900, 1000);
  t.equal(p.window, 10, 'halved');
  p.lost(950, 1300);
  t.equal(p.window, 10, 'a question sent before the cut, whenever its loss is noticed, is the same event');
  for (let i = 0; i < 10; i++) p.answered(50, 1310 + i);
  t.ok(p.window > 10 && p.window < 15, `then grows gently: ${p.window}`);
  for (let i = 0; i < 10_000; i++) p.answered(50, 1320);
  t.equal(p.window, 100, 'capped');
  const rto = p.rto;
  p.lost(1330, 1400);
  t.equal(p.window, 50, 'a question sent after the cut: a new event');
  t.equal(p.rto, rto, 'answers came within the timeout: a dropped burst, the timeout stays');
  // A dead server: each question asked again is lost one timeout later, and nothing answers.
  for (let i = 0, now = 2000; i < 20; i++, now += p.rto + 1) p.lost(now - p.rto, now);
  t.equal(p.window, 4, 'floored');
  t.equal(p.rto, 5000, 'no answer for a whole timeout: the timeout backs off, up to glibc\'s 5 s');
});

t.test('after a loss the window halves, then climbs back to what the server took of it: at once after a quiet spell, later after a loss soon after the last', async (t) => {
  const p = new Pacing({ initialWindow: 100, maxWindow: 1000, minWindow: 4 });
  let now = 0;
  const answer = (count: number, every: number): void => {
    for (let i = 0; i < count; i++) p.answered(50, (now += every));
  };
  answer(100, 0.5);
  t.equal(p.window, 200, 'slow start');
  t.equal(p.rto, 100, 'the timeout from the measured round trip');
  p.lost(now - 50, now, 20);
  t.equal(p.window, 100, 'a burst dropped while answers flow: halved, so that what queued in front of the server drains');
  p.lost(now - 60, now + 1, 10);
  t.equal(p.window, 100, 'questions sent before the cut are the same event, whenever their loss is noticed');
  answer(70, 0.5);
  t.equal(p.window, 170, 'then slow start, at once: the first loss in a while');
  answer(100, 0.5);
  t.ok(p.window > 170 && p.window < 175, `up to what the server took (200 less the 30 lost), then gently (${p.window.toFixed(1)})`);
  // 85 ms after the cut, within four timeouts: what the climb sent was lost too.
  const second = p.window;
  p.lost(now - 10, now, 8);
  t.equal(p.window, second / 2, 'a loss soon after the last: halved');
  answer(150, 0.5);
  t.ok(p.window < second / 2 + 10, `for a timeout after it, the window only grows gently (${p.window.toFixed(1)})`);
  answer(160, 0.5);
  t.ok(p.window >= second - 8 && p.window < second, `then climbs back to what the server took (${p.window.toFixed(1)} of ${second.toFixed(1)} less 8)`);
  const third = p.window;
  p.lost(now - 10, now, 8);
  answer(300, 0.5);
  t.ok(p.window < third / 2 + 20, `a loss soon after that climb: it waits twice as long, two timeouts (${p.window.toFixed(1)})`);
  answer(100 + Math.ceil(third / 2), 0.5);
  t.ok(p.window >= third - 8, `then climbs (${p.window.toFixed(1)})`);
  // Answers for longer than that wait and four timeouts, without a loss: the next climb is at once again.
  answer(1400, 0.5);
  const quiet = p.window;
  p.lost(now - 50, now, 1);
  answer(Math.ceil(quiet / 2), 0.5);
  t.ok(p.window >= quiet - 1, `a loss after a quiet spell climbs back at once (${p.window.toFixed(1)} of ${quiet.toFixed(1)})`);
  // No answer for a whole timeout: the server may be gone or far slower, not a passing overflow.
  now += 5 * p.rto;
  const silent = p.window;
  p.lost(now - p.rto, now, 1);
  answer(Math.ceil(silent / 2), 0.5);
  t.ok(p.window < silent / 2 + 5, `after a silence the window stays halved (${p.window.toFixed(1)} of ${silent.toFixed(1)})`);
});

t.test('a loss event that lost most of what was in flight takes the window down to what the server took, with no climb back', async (t) => {
  const p = new Pacing({ initialWindow: 1000, maxWindow: 4000, minWindow: 4 });
  let now = 0;
  for (let i = 0; i < 100; i++) p.answered(50, (now += 0.5));
  t.equal(p.window, 1100, 'slow start');
  // 700 in flight: more than half the window, which the sending filled.
  p.lost(now - 50, now, 10, 700);
  t.equal(p.window, 550, 'a few lost: halved, as for any overflow');
  const cut = now;
  p.lost(cut - 60, (now += 1), 100, 650);
  t.equal(p.window, 550, 'more of the same event, 110 of the 700: still a passing overflow');
  p.lost(cut - 70, (now += 1), 400, 300);
  t.equal(p.window, 190, '510 of the 700 lost: the server takes about 190, and the window goes down to that');
  for (let i = 0; i < 400; i++) p.answered(50, (now += 0.5));
  t.ok(p.window < 220, `and only grows gently from there, no climb back to the 1,100 (${p.window.toFixed(1)})`);
  const limited = p.window;
  p.lost(now - 10, now, 3, Math.floor(limited));
  t.equal(p.window, limited / 2, 'a new event with a few lost halves it');
  for (let i = 0; i < 10_000; i++) p.lost(now - 20, now, 1, 40);
  t.equal(p.window, 4, 'floored');
  // Ten names nobody answers, asked together while little else was in flight: most of a small
  // flight, which says nothing of what the server takes.
  const q = new Pacing({ initialWindow: 1000, maxWindow: 4000, minWindow: 4 });
  q.lost(0, 300, 10, 15);
  t.equal(q.window, 500, 'a flight under half the window, mostly lost: only halved');
});

t.test('a burst dropped once amid a long fan-out costs a round trip of halved window, not half the pace of the rest', async (t) => {
  const n = 1500;
  const records = numbered(n, (i) => `b${i}.burst.test`, 8);
  const dropped = Array.from({ length: 20 }, (_, i) => `b${600 + i}.burst.test`);
  const server = await startDnsServer({ records, rtt: 0.05, dropFirst: dropped });
  t.teardown(() => server.close());
  const window = 256;
  const queries = new CaresQueries({ servers: () => [`127.0.0.1:${server.port}`], concurrency: window });
  const outcomes = await Promise.all(Array.from({ length: n }, (_, i) => queries.ask(`b${i}.burst.test`, 'A').promise));
  t.equal(outcomes.filter((o) => o.addresses !== undefined).length, n, 'every name answered');
  t.ok(queries.pacing.losses > 0 && queries.retransmits >= dropped.length, `the burst was found lost and asked again (${queries.retransmits})`);
  // Halved for good, as it was, the window would end near 128 (gentle growth: a few per round trip).
  t.ok(queries.pacing.window >= 0.8 * window, `the window climbed back (${queries.pacing.window.toFixed(0)} of ${window})`);
});

t.test('a question goes out in the call that asks it, at most a first slice of 256, then 128 per event-loop turn, or per 4 ms of a long one', async (t) => {
  const n = 300;
  const records = numbered(n, (i) => `s${i}.slice.test`, 3);
  const server = await startDnsServer({ records, rtt: 0.05 });
  t.teardown(() => server.close());
  const queries = new CaresQueries({ servers: () => [`127.0.0.1:${server.port}`] });
  const start = performance.now();
  const first = queries.ask('s0.slice.test', 'A');
  t.equal(queries.inFlight, 1, 'sent before ask() returned');
  const rest = Array.from({ length: n - 1 }, (_, i) => queries.ask(`s${i + 1}.slice.test`, 'A'));
  // A loop this long is one turn; on a slow machine it may last past 4 ms, and a new slice begins.
  const slices = 1 + Math.floor((performance.now() - start) / 4);
  const sent = queries.inFlight;
  // Nothing was in flight: the flight's first slice is twice the others.
  t.ok(sent >= 256 && sent <= Math.min(n, 256 + 128 * (slices - 1)), `${sent} sent in this turn: a first slice of 256, and at most 128 more per 4 ms of it (${slices})`);
  t.equal(queries.pending, n - queries.inFlight, 'the rest wait for the next turns');
  const outcomes = await Promise.all([first, ...rest].map((a) => a.promise));
  t.equal(outcomes.filter((o) => o.addresses !== undefined).length, n, 'then every question is answered');
  t.equal(server.stats.queries, n, 'each asked once');
});

t.test('questions sent blind go in slices at least 4 ms apart: after a silence, and right after the last flight was answered in full', async (t) => {
  const n = 1000;
  const records = Object.fromEntries(Array.from({ length: n }, (_, i) => [`b${i}.blind.test`, { A: [`10.4.${i >> 8}.${i & 255}`], AAAA: [`fd00::4:${i}`] }]));
  // A round trip longer than a blind flight (32 slices, at least 124 ms): it goes out before any answer.
  const server = await startDnsServer({ records, rtt: 0.5 });
  t.teardown(() => server.close());
  type Flight = { answered: number; blindSends: number[]; firstStretch: number };
  const { out: { warm, next, silence, sent } } = await runChild<{ warm: Flight; next: Flight; silence: Flight; sent: number }>('blind-flight-child.ts', {
    env: { NODEVENT_TEST_DNS_PORT: String(server.port) },
  });
  t.equal(warm.answered, 1000, 'a first flight, every question answered');
  // Slices (of 32 here, 64 for a flight's first: the server's socket is empty then) begin at least
  // 4 ms apart (3 with the timer's rounding, a little less when libuv's timer counts from the time
  // its loop turn began: 8.8 ms for three was seen on Node 26), so the 128th sending after any
  // one, three slice starts later at least, comes at least 8 ms after it. Back to back, a slice
  // per turn, 128 warm sendings take about 5 ms.
  const spacing = (name: string, flight: Flight): void => {
    t.equal(flight.answered, 1000, `${name}: every question answered`);
    // At least: a stretch that lasts 4 ms (a loaded machine) goes on with the next slice.
    t.ok(flight.firstStretch >= 64, `${name}: the first slice sends 64 back to back (${flight.firstStretch} in its stretch)`);
    const sends = flight.blindSends;
    t.ok(sends.length > 256, `${name}: ${sends.length} sent before the first answer came back`);
    let worst = Infinity;
    for (let i = 0; i + 128 < sends.length; i++) worst = Math.min(worst, sends[i + 128]! - sends[i]!);
    t.ok(worst >= 8, `${name}: 128 sendings never within less than 8 ms (closest: ${worst.toFixed(1)} ms; ${sends.length} in ${sends.at(-1)!.toFixed(1)} ms)`);
  };
  spacing('a flight asked as soon as the last was answered in full (no answer on its way)', next);
  spacing('a flight after a silence of one timeout', silence);
  t.equal(sent, 1000, 'each sent once');
  t.equal(server.stats.queries, 3000, 'no question asked twice');
});

t.test('between two waves of a flight\'s answers, slices sent blind still go apart, not back to back', async (t) => {
  const n = 2000;
  const records = numbered(n, (i) => `w${i}.waves.test`, 9);
  const server = await startDnsServer({ records, rtt: 0.1 });
  t.teardown(() => server.close());
  type Out = { answered: number; firstSlice: number; between: number; closest: number; srtt: number };
  const { out } = await runChild<Out>('waves-child.ts', { args: [String(n)], env: { NODEVENT_TEST_DNS_PORT: String(server.port) } });
  t.equal(out.answered, n, 'every name answered');
  // (More in the same stretch when asking the 2,000 took over 4 ms: a long turn's next slices.)
  t.ok(out.firstSlice >= 512, `the first flight went out in one slice, so its answers came back together (${out.firstSlice})`);
  t.ok(out.between >= 3, `slices went between the waves of answers, with no answer since the slice before (${out.between})`);
  // 3 ms apart (the server answered within the last round trip), less a timer's rounding; 4 ms
  // for a flight that no answer has clocked yet (the test above).
  t.ok(out.closest >= 2, `never closer than 2 ms (closest: ${out.closest.toFixed(2)} ms)`);
  t.equal(server.stats.queries, n, 'each asked once');
});

t.test('questions that answers make room for go a slice per turn and at most a slice per millisecond, not in one burst per batch of answers', async (t) => {
  const n = 4000;
  const records = numbered(n, (i) => `c${i}.clocked.test`, 5);
  // The first flight (up to 2,048 questions, sent blind) goes out before the first answer is back.
  const server = await startDnsServer({ records, rtt: 0.2 });
  t.teardown(() => server.close());
  const { out: { slice, answered, sentClocked, mostInATurn, mostInAMillisecond } } = await runChild<{ slice: number; answered: number; sentClocked: number; mostInATurn: number; mostInAMillisecond: number }>('clocked-flight-child.ts', {
    env: { NODEVENT_TEST_DNS_PORT: String(server.port) },
  });
  t.equal(answered, n, 'every question answered');
  t.ok(sentClocked >= n - 2048, `${sentClocked} sent once answers came back`);
  // A turn that began a slice in its poll phase may begin the next in its check phase: two slices.
  // Before, the few hundred answers read in the turn after the pause sent twice as many at once.
  t.ok(mostInATurn <= 2 * slice, `at most two slices of ${slice} in an event-loop turn (${mostInATurn})`);
  // Slices begin at least 1 ms apart: what is left of one, and the next.
  t.ok(mostInAMillisecond <= 2 * slice, `at most two slices in any millisecond (${mostInAMillisecond})`);
  t.equal(server.stats.queries, n, 'each asked once');
});

t.test('questions the server dropped while it answered later ones are asked again one round trip after, not a timeout after', async (t) => {
  const n = 1000;
  const records = numbered(n, (i) => `o${i}.overtaken.test`, 6);
  // A burst lost in the middle of a flight (a full socket): the questions after it are answered.
  const dropped = Array.from({ length: 100 }, (_, i) => `o${300 + i}.overtaken.test`);
  const server = await startDnsServer({ records, rtt: 0.2, dropFirst: dropped });
  t.teardown(() => server.close());
  type Out = { answered: number; retransmits: number; fastRetransmits: number; askedAgain: number; gaps: number[]; srtt: number; rto: number };
  const { out } = await runChild<Out>('overtaken-child.ts', { args: [String(n)], env: { NODEVENT_TEST_DNS_PORT: String(server.port) } });
  t.equal(out.answered, n, 'every name answered');
  t.equal(out.askedAgain, dropped.length, 'the dropped ones asked again, and only they');
  t.equal(out.retransmits, dropped.length, 'each once');
  // Lost once a question sent after them was answered and a round trip and the reordering window
  // (a quarter of it) had passed since they went: about 250 ms here, where the timeout is twice
  // the round trip (the gaps, timed, are only reported: a loaded machine stretches both).
  // All but a name the channels' edges may leave alone on one (a lone name waits for its timeout).
  t.ok(out.fastRetransmits >= dropped.length - 2, `${out.fastRetransmits} found lost because later questions were answered, not by the timeout`);
  const [first, , last] = out.gaps as [number, number, number];
  // A later question answered takes the server's 200 ms at least.
  t.ok(first >= 200, `not before the server's round trip (${first.toFixed(0)} ms; the last ${last.toFixed(0)} ms, timeout ${out.rto.toFixed(0)})`);
});

t.test('a server answering out of order: a slow name is asked again no more than its doubling timeout allows, and the reordering window grows', async (t) => {
  const n = 1000;
  const records = numbered(n, (i) => `o${i}.overtaken.test`, 7);
  // A recursive resolver's cache misses, answered after the names asked after them: runs of three
  // names asked one after the other, which look like a burst the server dropped (a lone slow name
  // or misses among hits do not: they are left to the timeout).
  const slow = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`o${100 + 150 * Math.floor(i / 3) + (i % 3)}.overtaken.test`, 0.5]));
  const server = await startDnsServer({ records, rtt: 0.05, slow });
  t.teardown(() => server.close());
  type Out = { answered: number; retransmits: number; mostSendings: number; srtt: number; reorderWindow: number };
  const { out } = await runChild<Out>('overtaken-child.ts', { args: [String(n)], env: { NODEVENT_TEST_DNS_PORT: String(server.port) } });
  t.equal(out.answered, n, 'every name answered');
  // Overtaken, a slow name is taken for lost once (as by the timeout before); from then on it is a
  // name lost on its own, with a timeout doubled per loss: sent at 0, about 60 and 260 ms.
  t.ok(out.retransmits <= 30, `only slow names asked again (${out.retransmits})`);
  t.ok(out.mostSendings <= 3, `a slow name sent at most three times in its 500 ms (${out.mostSendings})`);
  // Each late answer to a sending taken for lost doubles the window: past a quarter of the round trip.
  t.ok(out.reorderWindow > out.srtt / 4 + 0.5, `reordering window ${out.reorderWindow.toFixed(1)} ms, round trip ${out.srtt.toFixed(1)} ms`);
});

t.test('questions asked in greenlets are answered outside every greenlet', async (t) => {
  // c-ares calls an answer back in the context its question was sent from: a question sent from a
  // greenlet would run its answer, and whatever that answer sends next for other greenlets, in it.
  const { spawn, joinAll } = await import('../src/runtime/index.js');
  const { currentScope } = await import('../src/runtime/scope.js');
  const server = await startDnsServer({ records: { 'a.ctx.test': { A: ['10.3.0.1'] }, 'b.ctx.test': { A: ['10.3.0.2'] } }, rtt: 0.02 });
  t.teardown(() => server.close());
  const queries = new CaresQueries({ servers: () => [`127.0.0.1:${server.port}`] });
  const scopes: unknown[] = [];
  const ask = (name: string): Promise<unknown> => new Promise((resolve) => {
    queries.listen(name, 'A', (outcome) => {
      scopes.push(currentScope());
      resolve(outcome.addresses);
    });
  });
  const greenlets = [spawn(ask, 'a.ctx.test'), spawn(ask, 'b.ctx.test')];
  await joinAll(greenlets, { raiseError: true });
  t.same(greenlets.map((g) => g.value), [['10.3.0.1'], ['10.3.0.2']]);
  t.same(scopes, [undefined, undefined], 'each answer came back in no greenlet');
});
