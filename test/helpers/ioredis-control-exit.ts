// For clients-ioredis.test.ts: a killed BLPOP (the patch's cancellation connection opens), then
// Redis goes away and the client is disconnected. The process must end by itself; it prints how
// long after disconnect() it took.
import Redis from 'ioredis';
import { spawn, sleep } from '../../src/runtime/index.js';
import { patchAll } from '../../src/patch/index.js';
import { startRedisServer } from '../../src/testing/redis-server.js';

patchAll();
const server = await startRedisServer();
const redis = new Redis(server.url);
redis.on('error', () => {});
const g = spawn(() => redis.blpop('q', 0));
await sleep(0.1);
await g.kill();
await server.stop({ kill: true });
await sleep(0.05);
redis.disconnect();
const since = Date.now();
process.on('exit', () => console.log(JSON.stringify({ exitedAfterMs: Date.now() - since })));
