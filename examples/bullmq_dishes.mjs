// dishes.py (chapter 11.1.2) on BullMQ: the washer adds each washed dish to a BullMQ queue kept in
// Redis, a Worker dries them. Each dish is dried in a greenlet of its own (nodevent/bullmq's
// greenletProcessor), bounded by a timeout: the casserole, which would take a minute to dry, fails
// after one second instead — and with patchAll() any socket or request it had open would close too.
// BullMQ adds what the chapter's queue lacks: retries, delays, schedules, and a record of every job.
//
// `--redis URL` uses your redis-server; without it the example starts one (redis-server on PATH).
//
//   node examples/bullmq_dishes.mjs [--redis redis://127.0.0.1:6379]    (or: npm run example -- bullmq_dishes)
import { parseArgs } from 'node:util';
import { Queue, Worker } from 'bullmq';
import { sleep } from 'nodevent';
import { greenletProcessor, RedisConnectionError, waitUntilReady } from 'nodevent/bullmq';
import { startRedisServer } from 'nodevent/testing';

const { values } = parseArgs({ options: { redis: { type: 'string' } } });
const server = values.redis ? null : await startRedisServer();
if (server) console.error(`(started redis-server at ${server.url}; pass --redis URL to use yours)`);
const connection = { url: values.redis ?? server.url };

/** Seconds each dish takes to dry. */
const DRYING = { salad: 0.1, bread: 0.1, entree: 0.1, dessert: 0.1, casserole: 60 };
const NAME = 'nodevent-example-dishes';

const dishQueue = new Queue(NAME, { connection });
try {
  await waitUntilReady(dishQueue, { timeout: 5 });
} catch (error) {
  if (!(error instanceof RedisConnectionError)) throw error;
  console.error(`${error.message}\nStart redis-server there, or leave out --redis to have one started for this run.`);
  await server?.stop();
  process.exit(1);
}
await dishQueue.obliterate({ force: true }); // what an earlier, interrupted run left

async function washer(dishes, output) {
  for (const dish of dishes) {
    console.log(`Washing ${dish} dish`);
    await output.add('dish', { dish });
  }
}

// A plain async function: greenletProcessor runs it in the job's own greenlet.
async function dryer(job) {
  await sleep(DRYING[job.data.dish]);
  console.log(`Drying ${job.data.dish} dish`);
}

const dishes = Object.keys(DRYING);
await washer(dishes, dishQueue);

// Started once every dish is washed, as in the chapter (where the washer never yields).
const worker = new Worker(NAME, greenletProcessor(dryer, { timeout: 1 }), { connection, autorun: false });
const allDone = new Promise((resolve) => {
  let finished = 0;
  const one = () => { if (++finished === dishes.length) resolve(); };
  worker.on('completed', one);
  worker.on('failed', (job, error) => {
    console.log(`Gave up on the ${job.data.dish} dish: ${error.message}`);
    one();
  });
});
void worker.run();
await allDone; // the chapter's join(): every dish dried or given up on
await worker.close();
await dishQueue.obliterate({ force: true });
await dishQueue.close();
await server?.stop();
