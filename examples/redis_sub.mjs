// redis_sub.py (chapter 11.2.2.1): prints the messages of two topics, until stopped.
//
// On nodevent/redis's RedisPubSub. The subscription belongs to the greenlet that subscribed:
// killing it (Ctrl-C / SIGTERM below) closes the subscription's connection and ends the loop.
// The chapter subscribes to "main coon" (sic), which no publisher uses, while its text says the
// maine coon messages are printed: this example subscribes to "maine coon".
// `--redis URL` uses your redis-server; without it the example starts one (see redis_pub.mjs).
//
//   node examples/redis_sub.mjs --redis redis://127.0.0.1:6379   (or: npm run example -- redis_sub)
import { parseArgs } from 'node:util';
import { spawn } from 'nodevent';
import { RedisPubSub } from 'nodevent/redis';
import { startRedisServer } from 'nodevent/testing';

const { values } = parseArgs({ options: { redis: { type: 'string' } } });
const server = values.redis ? null : await startRedisServer();
if (server) console.error(`(started redis-server at ${server.url}; pass --redis URL to use yours)`);
const conn = new RedisPubSub({ url: values.redis ?? server.url, codec: 'string' });

async function listen() {
  const topics = ['maine coon', 'persian'];
  const sub = await conn.subscribe(...topics); // resolves once Redis confirmed the subscription
  process.send?.('ready'); // tells examples/run.mjs that it may start the publisher
  for await (const msg of sub) {
    const cat = msg.topic;
    const hat = msg.message;
    console.log(`Subscribe: ${cat} wears a ${hat}`);
  }
}

const g = spawn(listen);
process.once('SIGINT', () => g.kill());
process.once('SIGTERM', () => g.kill());
await g;
await conn.close();
await server?.stop();
