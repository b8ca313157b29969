// Runs the runnable @examples of patch, redis, bullmq and testing: see
// test/doc-examples-run.test.ts. An example that talks to Redis reads REDIS_URL, which points at a
// redis-server started here; without redis-server on PATH those examples are not run.
import t from 'tap';
import { findRedisServer, startRedisServer } from '../src/testing/redis-server.js';
import { runExamples } from './helpers/run-examples.js';

const needsRedis = (code: string): boolean => code.includes('process.env.REDIS_URL');
const elsewhere = (file: string): boolean => !/^src\/(runtime|net|resolver|internal)\//.test(file);
t.test('the examples exit 0 in time', async (t) => {
  if (findRedisServer() === null) {
    t.comment('redis-server not found on PATH: the examples that need Redis are not run');
    return runExamples(t, (e) => elsewhere(e.file) && !needsRedis(e.code));
  }
  const server = await startRedisServer();
  t.teardown(() => server.stop({ kill: true }));
  return runExamples(t, (e) => elsewhere(e.file), { REDIS_URL: server.url });
});
