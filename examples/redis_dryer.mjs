// redis_dryer.py (chapter 11.1.7): dries the dishes of the Redis queue until it reads "quit".
//
// On nodevent/redis's RedisQueue: `get()` is the chapter's blpop (it waits for an item; inside a
// greenlet, killing the greenlet cancels the wait), `taskDone()` acknowledges the dish, so a
// dryer that dies mid-dish gives it back instead of losing it.
// `--redis URL` uses your redis-server; without it the example starts one (see redis_washer.mjs).
//
//   node examples/redis_dryer.mjs --redis redis://127.0.0.1:6379    (or: npm run example -- redis_dryer)
import { parseArgs } from 'node:util';
import { spawn } from 'nodevent';
import { RedisQueue } from 'nodevent/redis';
import { startRedisServer } from 'nodevent/testing';

const { values } = parseArgs({ options: { redis: { type: 'string' } } });
const server = values.redis ? null : await startRedisServer();
if (server) console.error(`(started redis-server at ${server.url}; pass --redis URL to use yours)`);
const conn = new RedisQueue('dishes', { url: values.redis ?? server.url, codec: 'string' });

async function dryer() {
  console.log('Dryer is starting');
  process.send?.('ready'); // tells examples/run.mjs that it may start the washer
  while (true) {
    const val = await conn.get();
    await conn.taskDone();
    if (val === 'quit') break;
    console.log('Dried', val);
  }
  console.log('Dishes are dried');
}

await spawn(dryer);
await conn.close();
await server?.stop();
