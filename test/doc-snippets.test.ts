// The fenced ```ts runnable snippets of README.md and docs/*.md run as the programs a reader would
// paste into a file, importing the package by name (test/helpers/snippets.ts), against real
// servers on loopback: a snippet that talks to Redis reads REDIS_URL, which points at a
// redis-server started here. Each must exit 0 within its time limit (killed with its process
// group otherwise): a snippet that hangs as one file, or loses a message and never ends, fails.
import { join } from 'node:path';
import t from 'tap';
import { findRedisServer, startRedisServer } from '../src/testing/redis-server.js';
import { docPages, root } from './helpers/doc-examples.js';
import { describeRun, markdownSnippets, runSnippets, snippetHome } from './helpers/snippets.js';

const snippets = docPages().flatMap((page) => markdownSnippets(join(root, page)));
t.ok(snippets.length >= 8, `runnable snippets found (${snippets.length})`);
for (const page of ['docs/redis.md', 'docs/pools.md']) {
  t.ok(snippets.some((s) => s.where.startsWith(`${page}:`)), `${page} has runnable snippets`);
}

const needsRedis = (code: string): boolean => code.includes('process.env.REDIS_URL');

// In a subtest: tap waits for it, whatever the top level does meanwhile.
t.test('the runnable snippets exit 0 in time', async (t) => {
  const env: Record<string, string> = {};
  let runnable = snippets;
  if (findRedisServer() === null) {
    runnable = snippets.filter((s) => !needsRedis(s.code));
    t.comment(`redis-server not found on PATH: ${snippets.length - runnable.length} snippets not run`);
  } else {
    const server = await startRedisServer();
    t.teardown(() => server.stop({ kill: true }));
    env.REDIS_URL = server.url;
  }
  const runs = await runSnippets(t, snippetHome(t), runnable, { timeout: 25, concurrency: 2, env });
  for (const run of runs) t.ok(run.code === 0 && !run.timedOut, run.snippet.where, { details: describeRun(run) });

  t.test('the pub/sub snippet delivers every message, in order', async (t) => {
    const run = runs.find((r) => r.snippet.code.includes('RedisPubSub') && needsRedis(r.snippet.code));
    if (run === undefined) return t.plan(0, 'not run: no redis-server');
    t.match(run.stdout, /persian wears a bowler\n.*maine coon wears a stovepipe\n/);
  });

  t.test('the washer and dryer snippet dries every dish', async (t) => {
    const run = runs.find((r) => r.snippet.code.includes('Dried') && needsRedis(r.snippet.code));
    if (run === undefined) return t.plan(0, 'not run: no redis-server');
    for (const dish of ['salad', 'bread', 'entree', 'dessert']) t.match(run.stdout, `Dried ${dish}\n`);
  });

  t.test('the pools snippet: the deadline kills a task spawned inside it', async (t) => {
    const run = runs.find((r) => r.snippet.where.startsWith('docs/pools.md:'))!;
    t.match(run.stdout, /page 1 took too long/);
    t.match(run.stdout, /render ended true/);
  });
});
