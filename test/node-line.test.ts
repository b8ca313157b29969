// CI runs the suite again under other Node lines by putting that line's node first on PATH
// (.ci/run). tap and the tests it spawns could still pick another node (npm's own, a shebang, an
// absolute path), so the run would quietly test the wrong line: this file fails when the test
// process is not on the version .ci/run asked for.
import { spawnSync } from 'node:child_process';
import t from 'tap';

const expected = process.env.NODEVENT_EXPECT_NODE;

t.test('the test process runs on the Node line CI asked for', { skip: expected ? false : 'NODEVENT_EXPECT_NODE not set (only .ci/run sets it)' }, async (t) => {
  t.equal(process.version, expected, `process.version is ${expected}`);
  // The examples and fixtures spawn `process.execPath`; it must be that same node.
  const child = spawnSync(process.execPath, ['-p', 'process.version'], { encoding: 'utf8' });
  t.equal(child.stdout.trim(), expected, 'a child started from process.execPath reports it too');
});

