// redis_dryer2.py (chapter 11.1.7): three dryer processes share the Redis queue.
//
// The chapter starts three multiprocessing.Process; here a ProcessPool of 3 runs this file's
// `dryer` export in three child processes. Only one dryer reads "quit"; the others stop when the
// queue stays empty for `timeout` seconds (the chapter's blpop timeout of 20 s): `get({ timeout })`
// rejects with `Empty`. `--scale 0.1` shortens that timeout (to 2 s).
// `--redis URL` uses your redis-server; without it the example starts one (see redis_washer.mjs).
//
//   node examples/redis_dryer2.mjs --redis redis://127.0.0.1:6379 [--scale 0.1]
//   npm run example -- redis_dryer2            (starts redis_washer too)
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Empty, ProcessPool, joinAll, sleep } from 'nodevent';
import { RedisQueue } from 'nodevent/redis';
import { startRedisServer } from 'nodevent/testing';

/** Runs in a child process of the pool (its stdout is piped to ours). */
export async function dryer(url, timeout, pause) {
  const conn = new RedisQueue('dishes', { url, codec: 'string' });
  const pid = process.pid;
  console.log(`Dryer process ${pid} is starting`);
  try {
    while (true) {
      let val;
      try {
        val = await conn.get({ timeout });
      } catch (error) {
        if (error instanceof Empty) break; // blpop returned None: nothing came for `timeout` s
        throw error;
      }
      await conn.taskDone();
      if (val === 'quit') break;
      console.log(`${pid}: dried ${val}`);
      await sleep(pause);
    }
  } finally {
    await conn.close();
  }
  console.log(`Dryer process ${pid} is done`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { redis: { type: 'string' }, scale: { type: 'string', default: '1' } } });
  const scale = Number(values.scale);
  if (!(scale > 0)) throw new RangeError(`--scale must be a positive number, got ${values.scale}`);
  const server = values.redis ? null : await startRedisServer();
  if (server) console.error(`(started redis-server at ${server.url}; pass --redis URL to use yours)`);
  const url = values.redis ?? server.url;

  const DRYER = 3;
  const pool = new ProcessPool(DRYER, { execArgv: [] });
  const dryers = [];
  for (let num = 0; num < DRYER; num++) {
    dryers.push(pool.spawn(import.meta.url, 'dryer', url, 20 * scale, 0.1));
  }
  if (process.send) {
    // Started by examples/run.mjs: once the three dryers wait on the queue (or after 5 s), tell it
    // to start the washer, so the dishes are shared out as in the chapter.
    const probe = new RedisQueue('dishes', { url });
    for (let i = 0; i < 50 && (await probe.stats()).consumers.length < DRYER; i++) await sleep(0.1);
    await probe.close();
    process.send('ready');
  }
  await joinAll(dryers);
  await pool.close();
  await server?.stop();
}
