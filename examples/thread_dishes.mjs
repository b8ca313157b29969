// thread_dishes.py (chapter 11.1.3): one washer, two dryers, a joinable queue.
//
// The washer takes 5 s per dish, a dryer 8 s. Greenlets sleep with nodevent's `sleep` (seconds),
// which only pauses the greenlet that calls it. `--scale 0.1` multiplies every sleep by 0.1
// (0.5 s and 0.8 s), for a quick run; the order of the lines stays the chapter's.
//
//   node examples/thread_dishes.mjs [--scale 0.1]
import { parseArgs } from 'node:util';
import { Queue, sleep, spawn } from 'nodevent';

const { values } = parseArgs({ options: { scale: { type: 'string', default: '1' } } });
const scale = Number(values.scale);
if (!(scale > 0)) throw new RangeError(`--scale must be a positive number, got ${values.scale}`);

async function washer(dishes, dishQueue) {
  for (const dish of dishes) {
    await sleep(5 * scale);
    console.log('Washing', dish);
    await dishQueue.put(dish);
  }
}

async function dryer(dishQueue) {
  while (true) {
    const dish = await dishQueue.get();
    await sleep(8 * scale);
    console.log('Dring', dish); // (sic) the chapter's spelling, kept so the lines match
    dishQueue.taskDone();
  }
}

const dishQueue = new Queue();
const dryers = [];
for (let n = 0; n < 2; n++) {
  dryers.push(spawn(dryer, dishQueue));
}

const dishes = ['salad', 'bread', 'entree', 'desert'];
await washer(dishes, dishQueue);
await dishQueue.join();
// Python's threads have no terminate(); greenlets do: the idle dryers are killed, so the program
// ends instead of hanging on their get() as the chapter's threads would.
for (const d of dryers) await d.kill();
