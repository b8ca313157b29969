import t from 'tap';
import { ThreadPool } from '../src/runtime/threadpool.js';
import { poolBehaviour } from './helpers/pool-behaviour.js';

poolBehaviour(t, {
  label: 'ThreadPool',
  Pool: ThreadPool,
  worker: 'thread',
  where: 'on another thread',
  killed: 'terminates the thread',
  checkWhere(t, where) {
    t.equal(where.isMainThread, false);
    t.equal(where.pid, process.pid, 'a thread of this process');
  },
  exitMessage: /exited unexpectedly with code 3/,
});
