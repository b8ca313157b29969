// A greenlet's scope is the greenlet object itself, but its public type shows gevent's API: the
// scope mechanics are reached through currentScope(), typed Scope. What must hold at run time.
import t from 'tap';
import { GreenletExit, Scope, ScopeBase, currentScope, spawn, sleep } from '../src/runtime/index.js';

t.test("inside a body, currentScope() is the greenlet, and it is a Scope", async (t) => {
  const g = spawn(() => currentScope());
  await g.join();
  const scope: unknown = g.value; // not returned from a then: a greenlet is thenable
  t.equal(scope, g);
  t.ok(scope instanceof Scope, 'instanceof Scope holds for the scope currentScope() returns');
  t.ok(g instanceof ScopeBase);
  t.ok(new Scope() instanceof Scope);
  t.notOk({} instanceof Scope);
  class Nested extends Scope {}
  t.notOk(g instanceof Nested, 'a subclass of Scope keeps the ordinary test');
  t.ok(new Nested() instanceof Nested && new Nested() instanceof Scope);
});

t.test('the mechanics work through currentScope(): what the body owns dies with the kill', async (t) => {
  const disposed: unknown[] = [];
  let signal: AbortSignal | undefined;
  const g = spawn(async () => {
    currentScope()!.own({ dispose: (reason) => disposed.push(reason) });
    signal = currentScope()!.signal;
    await sleep(60);
  });
  await sleep(0);
  t.equal(signal, g.signal, "the body's scope signal is the greenlet's signal");
  await g.kill();
  t.equal(disposed.length, 1);
  t.ok(disposed[0] instanceof GreenletExit);
  t.ok(signal!.aborted);
});
