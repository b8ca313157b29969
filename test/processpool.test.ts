import t from 'tap';
import { readFileSync } from 'node:fs';
import { ProcessPool } from '../src/runtime/processpool.js';
import { sleep } from '../src/runtime/index.js';
import { poolBehaviour } from './helpers/pool-behaviour.js';

/** Whether a process with this pid exists (a zombie too). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** What /proc says of a process: its state and parent, for a failure message. */
function procStat(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').trim();
  } catch {
    return 'no /proc entry';
  }
}

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
  // Each task that signals its start writes its worker's pid there: once stopped, that process is
  // gone. Waited for (a loaded machine may reap it late), within 10 s; a process still there then
  // is described.
  async workerGone(t, started, message) {
    const pid = Number(readFileSync(started, 'utf8'));
    for (const deadline = Date.now() + 10_000; alive(pid) && Date.now() < deadline;) await sleep(0.02);
    t.notOk(alive(pid), alive(pid) ? `${message} (pid ${pid} still there: ${procStat(pid)})` : message);
  },
});
