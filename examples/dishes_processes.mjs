// dishes.py (chapter 11.1.2) — ProcessPool version: the dryer works in another process.
//
// Functions cannot cross processes in Node, so a ProcessPool task is named by module and export:
// this very file exports `dry`, and the pool's child process imports it (the main part below only
// runs when the file is the program, not when the pool loads it). The joinable queue stays in the
// main process; a dryer greenlet hands each dish to the pool and marks it done when the child has
// dried it. Closing the pool at the end is the "daemon" part: the child process is ended.
//
//   node examples/dishes_processes.mjs
import { fileURLToPath } from 'node:url';
import { ProcessPool, Queue, spawn } from 'nodevent';

/** Runs in the pool's child process: its stdout is piped to ours. */
export function dry(dish) {
  console.log(`Drying ${dish} dish`);
  return process.pid;
}

function washer(dishes, output) {
  for (const dish of dishes) {
    console.log(`Washing ${dish} dish`);
    output.putNowait(dish);
  }
}

async function dryer(input, pool) {
  while (true) {
    const dish = await input.get();
    await pool.spawn(import.meta.url, 'dry', dish); // a Greenlet: await = the child finished
    input.taskDone();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const pool = new ProcessPool(1, { execArgv: [] });
  const dishQueue = new Queue();
  const dryerGreenlet = spawn(dryer, dishQueue, pool);

  const dishes = ['salad', 'bread', 'entree', 'dessert'];
  washer(dishes, dishQueue);
  await dishQueue.join();
  await dryerGreenlet.kill();
  await pool.close();
}
