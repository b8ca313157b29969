// Runs the runnable @examples outside src/runtime (net, patch, redis, bullmq, testing): see
// test/doc-examples-run.test.ts.
import t from 'tap';
import { runExamples } from './helpers/run-examples.js';

await runExamples(t, (e) => !e.file.startsWith('src/runtime/'));
