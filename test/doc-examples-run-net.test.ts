// Runs the runnable @examples of nodevent/net (sockets, servers, the resolver functions) and of
// the modules it builds on (see test/doc-examples-run.test.ts); loopback servers only.
import t from 'tap';
import { runExamples } from './helpers/run-examples.js';

const net = /^src\/(net|resolver|internal)\//;

t.test('the examples exit 0 in time', (t) => runExamples(t, (e) => net.test(e.file)));
