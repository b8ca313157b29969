// The dishes programs: a washer puts washed dishes on a joinable queue, dryers take them, and
// `join` returns once every dish is dried.
import t, { type Test } from 'tap';
import { Queue, sleep, spawn } from '../src/runtime/index.js';

async function kitchen(dryerNames: string[], maxsize: number | undefined, dishes: number) {
  const rack = new Queue<number>(maxsize);
  const log: string[] = [];
  let washed = 0;
  let dried = 0;
  let mostAhead = 0;
  const dryers = dryerNames.map((name) => spawn(async () => {
    for await (const dish of rack) {
      await sleep(0.005);
      dried++;
      log.push(`${name} dried ${dish}`);
      rack.taskDone();
    }
  }));
  const washer = spawn(async () => {
    for (let dish = 1; dish <= dishes; dish++) {
      await sleep(0.001);
      washed++;
      mostAhead = Math.max(mostAhead, washed - dried);
      log.push(`washed ${dish}`);
      await rack.put(dish);
    }
  });
  await washer;
  const joined = await rack.join({ timeout: 10 });
  log.push('joined');
  rack.shutdown();
  for (const d of dryers) await d;
  return { log, joined, mostAhead };
}

function checkEveryDish(t: Test, log: string[], dishes: number): void {
  for (let dish = 1; dish <= dishes; dish++) {
    const w = log.indexOf(`washed ${dish}`);
    const d = log.findIndex((line) => line.endsWith(` dried ${dish}`));
    t.ok(w !== -1 && d > w, `dish ${dish} dried after it was washed`);
    t.equal(log.filter((line) => line.endsWith(` dried ${dish}`)).length, 1, `dish ${dish} dried once`);
  }
  t.equal(log.at(-1), 'joined', 'join returned after the last dish was dried');
}

t.test('one washer, one dryer: dishes dried in the order washed', async (t) => {
  const { log, joined } = await kitchen(['dryer'], undefined, 5);
  t.equal(joined, true);
  checkEveryDish(t, log, 5);
  t.same(log.filter((l) => l.includes('dried')), [1, 2, 3, 4, 5].map((n) => `dryer dried ${n}`));
});

t.test('one washer, two dryers: the waiting dryers take turns, first come first served', async (t) => {
  const { log, joined } = await kitchen(['A', 'B'], undefined, 6);
  t.equal(joined, true);
  checkEveryDish(t, log, 6);
  t.ok(log.includes('A dried 1'), 'A waited first: it gets dish 1');
  t.ok(log.includes('B dried 2'), 'A is busy drying: B gets dish 2');
});

t.test('a rack of one: the washer waits for the dryer (backpressure)', async (t) => {
  const { log, joined, mostAhead } = await kitchen(['dryer'], 1, 6);
  t.equal(joined, true);
  checkEveryDish(t, log, 6);
  t.ok(mostAhead <= 3, `washer at most 3 dishes ahead (was ${mostAhead}): one drying, one on the rack, one in hand`);
});
