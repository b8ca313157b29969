// Smoke test of the Redis programs of examples/ (see examples.test.ts for the others): each starts
// its own redis-server on a free loopback port, runs both sides of the pair through
// examples/run.mjs, and prints the chapter's lines. Each run is killed with its whole process
// group (redis-server and ProcessPool children included) at the latest when this test ends.
import t from 'tap';
import { findRedisServer } from '../src/testing/redis-server.js';
import { checkPubSub, exampleRunner, failed, norm, notBuilt, side, type Run } from './helpers/examples.js';

const redisMissing = findRedisServer() === null;

// ---- The chapter's printed lines (copied from the seed; typos of the chapter's prose noted) ----
const SEED = {
  // The chapter's code washes "dessert"; its printed run (from an older list) says "desert".
  redisWasher: ['Washer is starting', 'Washed salad', 'Washed bread', 'Washed entree', 'Washed dessert', 'Washer is done'],
  redisDryer: ['Dryer is starting', 'Dried salad', 'Dried bread', 'Dried entree', 'Dried dessert', 'Dishes are dried'],
  redisDryer2: [
    'Dryer process 20368 is starting', 'Dryer process 3368 is starting', 'Dryer process 15008 is starting',
    '20368: dried salad', '3368: dried bread', '15008: dried entree', 'Dryer process 20368 is done',
    '15008: dried dessert', 'Dryer process 3368 is done', 'Dryer process 15008 is done',
  ],
};

t.test('redis examples', { skip: notBuilt }, async (t) => {
  const { example } = exampleRunner(t);
  // Start every run now (two at a time); the subtests below check them as they finish.
  const runs = (redisMissing ? {} : {
    redisDryer: example('redis_dryer'),
    redisDryer2: example('redis_dryer2', ['--scale', '0.25']),
    redisPubSub: example('redis_sub'),
    bullmqDishes: example('bullmq_dishes'),
  }) as Record<string, Promise<Run>>;

  const redisSkip = redisMissing ? 'redis-server is not on PATH (install redis-server to run the redis examples)' : false;

  t.test('redis_dryer / redis_washer', { skip: redisSkip }, async (t) => {
    const run = await runs.redisDryer!;
    t.equal(run.code, 0, failed(run));
    t.same(side(run, 'redis_washer'), SEED.redisWasher);
    t.same(side(run, 'redis_dryer'), SEED.redisDryer);
  });

  t.test('redis_dryer2 (three processes) / redis_washer', { skip: redisSkip }, async (t) => {
    const run = await runs.redisDryer2!;
    t.equal(run.code, 0, failed(run));
    t.same(side(run, 'redis_washer'), SEED.redisWasher);
    const lines = side(run, 'redis_dryer2');
    const shape = (ls: string[]) => ls.map(norm).sort();
    t.same(shape(lines), shape(SEED.redisDryer2), 'three dryers start and end; each dish dried once');
    const pids = lines.map((l) => /^Dryer process (\d+) is starting$/.exec(l)?.[1]).filter(Boolean);
    t.equal(new Set(pids).size, 3, 'three processes');
    for (const pid of pids) {
      const done = lines.indexOf(`Dryer process ${pid} is done`);
      const started = lines.indexOf(`Dryer process ${pid} is starting`);
      t.ok(started < done, `process ${pid} starts before it is done`);
      t.ok(lines.every((l, i) => !l.startsWith(`${pid}: dried`) || (i > started && i < done)), `process ${pid} dries between the two`);
    }
    t.ok(lines.filter((l) => / dried /.test(l)).every((l) => pids.includes(l.split(':')[0])), 'every dish dried by one of the three');
  });

  t.test('redis_pub / redis_sub', { skip: redisSkip }, async (t) => {
    const run = await runs.redisPubSub!;
    t.equal(run.code, 0, failed(run));
    checkPubSub(t, side(run, 'redis_pub'), side(run, 'redis_sub'));
  });

  t.test('bullmq_dishes: the washer and dryer on BullMQ, the over-long dish given up', { skip: redisSkip }, async (t) => {
    const run = await runs.bullmqDishes!;
    t.equal(run.code, 0, failed(run));
    const dishes = ['salad', 'bread', 'entree', 'dessert'];
    t.same(run.stdout.filter((l) => l.startsWith('Washing ')), [...dishes, 'casserole'].map((d) => `Washing ${d} dish`));
    t.same(run.stdout.filter((l) => l.startsWith('Drying ')), dishes.map((d) => `Drying ${d} dish`), 'every dish but the casserole dried, in order');
    t.match(run.stdout.at(-1), /^Gave up on the casserole dish: job \d+ of queue "[^"]+" timed out after 1 s$/, 'the casserole job fails with its Timeout');
  });

  await Promise.all(Object.values(runs));
});
