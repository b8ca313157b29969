import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

t.test('a pool process whose parent was killed (SIGKILL: no clean-up ran) ends instead of running on', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nodevent-orphan-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const started = join(dir, 'started');
  const tasks = fileURLToPath(new URL('./fixtures/pool-tasks.mjs', import.meta.url));
  const loader = import.meta.resolve('@tapjs/typescript/import');
  const parent = spawn(process.execPath, ['--import', loader, fileURLToPath(new URL('./helpers/orphan-pool.ts', import.meta.url)), tasks, join(dir, 'done'), started], {
    stdio: 'ignore', env: { ...process.env, NODE_OPTIONS: '' },
  });
  t.teardown(() => void parent.kill('SIGKILL'));
  const end = Date.now() + 30_000;
  while (!existsSync(started) || readFileSync(started, 'utf8') === '') {
    if (Date.now() > end) throw new Error('the pool task did not start');
    await sleep(0.02);
  }
  const worker = Number(readFileSync(started, 'utf8'));
  t.teardown(() => { try { process.kill(worker, 'SIGKILL'); } catch { /* gone */ } });
  parent.kill('SIGKILL');
  const gone = Date.now() + 10_000;
  while (alive(worker) && !procStat(worker).includes(') Z ') && Date.now() < gone) await sleep(0.02);
  t.notOk(alive(worker) && !procStat(worker).includes(') Z '), `the worker ${worker} ended with its parent (${procStat(worker)})`);
  t.notOk(existsSync(join(dir, 'done')), 'its task never finished');
});
