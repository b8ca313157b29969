// redis_washer.py (chapter 11.1.7): puts the washed dishes on a queue kept in Redis, then "quit".
//
// On nodevent/redis's RedisQueue (the chapter's rpush/blpop list, made reliable: an item taken by
// a dryer that dies goes back to the queue). Strings are stored as they are (codec 'string').
// Needs a real redis-server: `--redis URL` uses yours; without it the example starts one
// (redis-server on PATH) on a free loopback port — then only a dryer started by the same command
// sees the dishes, so run the pair:  npm run example -- redis_washer   (starts redis_dryer too)
//
//   node examples/redis_washer.mjs --redis redis://127.0.0.1:6379
import { parseArgs } from 'node:util';
import { RedisQueue } from 'nodevent/redis';
import { startRedisServer } from 'nodevent/testing';

const { values } = parseArgs({ options: { redis: { type: 'string' } } });
const server = values.redis ? null : await startRedisServer();
if (server) console.error(`(started redis-server at ${server.url}; pass --redis URL to use yours)`);
const conn = new RedisQueue('dishes', { url: values.redis ?? server.url, codec: 'string' });

console.log('Washer is starting');
const dishes = ['salad', 'bread', 'entree', 'dessert'];
for (const dish of dishes) {
  await conn.put(dish);
  console.log('Washed', dish);
}
await conn.put('quit');
console.log('Washer is done');

await conn.close();
await server?.stop();
