// redis_pub.py (chapter 11.2.2.1): publishes ten random "cat wears a hat" messages on Redis.
//
// On nodevent/redis's RedisPubSub: `publish(topic, message)` resolves how many subscribers got it.
// `--redis URL` uses your redis-server; without it the example starts one — then nobody is
// subscribed; run the pair instead:  npm run example -- redis_pub   (starts redis_sub first)
//
//   node examples/redis_pub.mjs --redis redis://127.0.0.1:6379
import { parseArgs } from 'node:util';
import { RedisPubSub } from 'nodevent/redis';
import { startRedisServer } from 'nodevent/testing';

const { values } = parseArgs({ options: { redis: { type: 'string' } } });
const server = values.redis ? null : await startRedisServer();
if (server) console.error(`(started redis-server at ${server.url}; pass --redis URL to use yours)`);
const conn = new RedisPubSub({ url: values.redis ?? server.url, codec: 'string' });

const choice = (list) => list[Math.floor(Math.random() * list.length)];
const cats = ['siamese', 'persian', 'maine coon', 'norwegian forest'];
const hats = ['stovepipe', 'bowler', 'tam-o-shanter', 'fedora'];
for (let msg = 0; msg < 10; msg++) {
  const cat = choice(cats);
  const hat = choice(hats);
  console.log(`Publish: ${cat} wears a ${hat}`);
  await conn.publish(cat, hat);
}

await conn.close();
await server?.stop();
