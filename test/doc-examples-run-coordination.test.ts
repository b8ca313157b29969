// Runs the runnable @examples of the runtime outside its core: queues, channels, events, locks,
// pools, thread and process pools (see test/doc-examples-run.test.ts).
import t from 'tap';
import { coreRuntime, runExamples } from './helpers/run-examples.js';

t.test('the examples exit 0 in time', (t) => runExamples(t, (e) => e.file.startsWith('src/runtime/') && !coreRuntime.test(e.file)));
