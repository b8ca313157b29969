import t from 'tap';
import { readFileSync } from 'node:fs';
import { ProcessPool } from '../src/runtime/processpool.js';
import { poolBehaviour } from './helpers/pool-behaviour.js';

poolBehaviour(t, {
  label: 'ProcessPool',
  Pool: ProcessPool,
  worker: 'process',
  where: 'in another process',
  killed: 'kills the process',
  checkWhere(t, where) {
    t.not(where.pid, process.pid, 'another process');
    t.equal(where.isMainThread, true, 'the main thread of that process');
  },
  exitMessage: /exited unexpectedly/,
  // Each task that signals its start writes its worker's pid there: once stopped, that process is gone.
  workerGone(t, started, message) {
    t.throws(() => process.kill(Number(readFileSync(started, 'utf8')), 0), { code: 'ESRCH' }, message);
  },
});
