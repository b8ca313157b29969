// gevent's test__joinall.py, translated to nodevent: joinAll with the same greenlet twice.
import t from 'tap';
import { joinAll, spawn } from '../../src/runtime/index.js';

t.test('test__joinall.py::Test::test (a greenlet listed twice)', async (t) => {
  const a = spawn(() => undefined);
  const b = spawn(() => undefined);
  const done = await joinAll([a, b, a]);
  t.ok(a.dead && b.dead);
  t.equal(done.length, 3, 'each entry is reported once it is ready');
});

t.test('test__joinall.py: joinAll of greenlets already dead resolves at once', async (t) => {
  const a = spawn(() => 1);
  await a.join();
  t.same(await joinAll([a, a]), [a, a]);
});
