// Runs the runnable @examples of src/runtime (fenced ```ts runnable), each as its own program importing the package by name: each must
// exit 0 within its time limit, else it is killed with its process group. Runnable examples need
// nothing beyond loopback and end on their own: a greenlet, socket or server left running keeps
// the process alive and fails here. test/doc-examples-run-io.test.ts runs the other areas'.
import t from 'tap';
import { runExamples } from './helpers/run-examples.js';

t.test('the examples exit 0 in time', (t) => runExamples(t, (e) => e.file.startsWith('src/runtime/')));
