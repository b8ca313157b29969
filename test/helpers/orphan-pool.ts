// A program whose ProcessPool runs a long task, for processpool.test.ts: it prints nothing and
// waits; the test reads the worker's pid from `started`, then SIGKILLs this program.
import { ProcessPool } from '../../src/runtime/processpool.js';

const [tasks, file, started] = process.argv.slice(2) as [string, string, string];
const pool = new ProcessPool(1, { execArgv: [] });
void pool.spawn(tasks, 'sleepThenWrite', 60_000, file, started).join();
setInterval(() => {}, 1000);
