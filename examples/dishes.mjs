// dishes.py (chapter 11.1.2) — greenlet version.
//
// The chapter runs the dryer in a daemon process that reads a multiprocessing.JoinableQueue.
// Here the dryer is a greenlet reading a nodevent Queue (joinable: taskDone / join), and the
// daemon flag becomes "kill the dryer once the queue is joined" (a greenlet never keeps the
// program alive by itself, but killing it is the explicit, gevent way to end it).
//
//   node examples/dishes.mjs            (see dishes_processes.mjs for the ProcessPool version)
import { Queue, spawn } from 'nodevent';

function washer(dishes, output) {
  for (const dish of dishes) {
    console.log(`Washing ${dish} dish`);
    // putNowait never waits (the queue is unbounded): like gevent, the washer does not yield
    // here, so every dish is washed before the dryer runs — the chapter's order of lines.
    output.putNowait(dish);
  }
}

async function dryer(input) {
  while (true) {
    const dish = await input.get();
    console.log(`Drying ${dish} dish`);
    input.taskDone();
  }
}

const dishQueue = new Queue();
const dryerGreenlet = spawn(dryer, dishQueue);

const dishes = ['salad', 'bread', 'entree', 'dessert'];
washer(dishes, dishQueue);
await dishQueue.join();
// "daemon": the dryer dies with the program. Killing it ends its pending get() at once.
await dryerGreenlet.kill();
