// The two internal helpers every wait and every kill share: abortable() (a promise that rejects
// when its scope aborts first) and toException() (gevent's "class or instance").
import t from 'tap';
import { abortable, bound } from '../src/runtime/abortable.js';
import { toException } from '../src/internal/exception.js';
import { GreenletExit, Timeout, currentScope, sleep, spawn } from '../src/runtime/index.js';
import { Scope } from '../src/runtime/scope.js';

t.test('abortable: the abort wins over a pending wait, once; the scope keeps nothing', async (t) => {
  const scope = new Scope();
  const aborts: unknown[] = [];
  let started = 0;
  const waiting = abortable<string>(scope, () => { started++; }, (reason) => aborts.push(reason));
  t.equal(started, 1);
  t.equal(scope.ownedCount, 1, 'owned while pending');
  const reason = new Error('stop');
  scope.abort(reason);
  await t.rejects(waiting, reason);
  t.same(aborts, [reason], 'onAbort ran once, with the reason');
  t.equal(scope.ownedCount, 0);
});

t.test('abortable: a wait that settles first is disowned and its onAbort never runs', async (t) => {
  const scope = new Scope();
  let aborted = false;
  let settle!: (value: number) => void;
  const waiting = abortable<number>(scope, (resolve) => { settle = resolve; }, () => { aborted = true; });
  settle(7);
  t.equal(await waiting, 7);
  t.equal(scope.ownedCount, 0, 'nothing left in the scope');
  scope.abort(new Error('later'));
  t.equal(aborted, false);
});

t.test('abortable: an aborted scope rejects at once and start never runs; start throwing rejects', async (t) => {
  const scope = new Scope();
  const reason = new Error('gone');
  scope.abort(reason);
  let started = false;
  await t.rejects(abortable(scope, () => { started = true; }), reason);
  t.equal(started, false);
  const open = new Scope();
  const boom = new TypeError('boom');
  await t.rejects(abortable(open, () => { throw boom; }), boom);
  t.equal(open.ownedCount, 0);
  t.equal(await abortable<number>(undefined, (resolve) => resolve(1)), 1, 'without a scope: a plain promise');
});

t.test('abortable: an abort from inside start still ends the wait', async (t) => {
  const scope = new Scope();
  const reason = new Error('inside');
  await t.rejects(abortable(scope, () => { scope.abort(reason); }), reason);
});

t.test('bound: a killed greenlet stops waiting for a promise that never settles', async (t) => {
  let released = 0;
  const g = spawn(() => bound(new Promise<never>(() => {}), currentScope(), () => { released++; }));
  await sleep(0); // the greenlet runs until it waits
  await g.kill();
  t.type(g.value, GreenletExit);
  t.equal(released, 1);
  t.equal(await bound(Promise.resolve('v'), undefined), 'v');
});

t.test('toException: a class is instantiated, an instance is kept, undefined gives the default', async (t) => {
  t.type(toException(Timeout, () => null), Timeout);
  const instance = new RangeError('x');
  t.equal(toException(instance, () => null), instance);
  t.type(toException(undefined, () => new GreenletExit()), GreenletExit);
  t.equal(toException('text', () => null), 'text', 'anything else is raised as it is');
});
