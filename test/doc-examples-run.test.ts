// Runs the runnable @examples (fenced ```ts runnable) of the runtime's core (greenlets, scopes,
// timeouts, waits, the hub, diagnostics), each as its own program importing the package by name:
// each must exit 0 within its time limit, else it is killed with its process group. Runnable
// examples need nothing beyond loopback and end on their own: a greenlet, socket or server left
// running keeps the process alive and fails here. The other examples run in
// doc-examples-run-coordination (queues, locks, pools), doc-examples-run-net and
// doc-examples-run-io (patch, redis, bullmq, testing): four files, so each stays well within its
// time budget.
import t from 'tap';
import { coreRuntime, runExamples } from './helpers/run-examples.js';

t.test('the examples exit 0 in time', (t) => runExamples(t, (e) => coreRuntime.test(e.file)));
