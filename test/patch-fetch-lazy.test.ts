import t from 'tap';
import { runChild as run } from './helpers/child.js';

// undici costs 3.3 MB of heap (Node 26): patchAll must not load it for a program that never makes
// a request, and everything must still work when it is loaded later, by a request or by the
// application.
async function runChild(kind: string): Promise<Record<string, unknown>> {
  return (await run('lazy-undici-child.ts', { args: [kind] })).out;
}

t.test('the first request loads undici; a greenlet timeout still aborts the request', async (t) => {
  const out = await runChild('fetch');
  t.same(out, { hadGlobal: out.hadGlobal, loadedByPatch: false, dispatcher: 'ScopedDispatcher', body: 'ok', loadedByFetch: !out.hadGlobal, timedOut: true, serverSawClose: true });
});

t.test('undici imported by the application after patchAll: the scoped dispatcher is its global one', async (t) => {
  const out = await runChild('user');
  t.same(out, {
    hadGlobal: out.hadGlobal, loadedByPatch: false, dispatcher: 'ScopedDispatcher', userSees: true, composedBody: 'ok', intercepted: 1, isDispatcher: true,
    afterUnpatch: 'function', bodyAfterUnpatch: 'ok', fetchAfterUnpatch: 'ok',
  });
});

t.test('patchAll then unpatchAll without a request puts back the global dispatcher there was, or none', async (t) => {
  const out = await runChild('idle');
  t.same(out, { hadGlobal: out.hadGlobal, loadedByPatch: false, dispatcher: 'ScopedDispatcher', restored: true, loadedAtEnd: false, fetchAfterUnpatch: 'ok' });
});

t.test('ScopedDispatcher: a bad inner dispatcher is a TypeError naming it; without one, the global one', async (t) => {
  const { ScopedDispatcher } = await import('../src/patch/index.js');
  for (const bad of [null, {}, { dispatch: 1 }, 'agent']) {
    t.throws(() => new ScopedDispatcher(bad as never), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /"inner"/ });
  }
  const { Agent, getGlobalDispatcher } = await import('undici');
  t.equal(new ScopedDispatcher().inner, getGlobalDispatcher());
  const agent = new Agent();
  t.equal(new ScopedDispatcher(agent).inner, agent);
  await agent.close();
});

t.test("import 'nodevent' loads neither node:http, node:https, node:tls nor Node's undici; patchAll loads what it patches", async (t) => {
  const out = (await run('import-weight-child.ts')).out as { before: string[]; atImport: string[]; atPatch: string[]; original: boolean };
  t.same(out.atImport, out.before, `nothing heavy loaded by the import (${out.atImport.join(', ') || 'none'})`);
  t.ok(out.atPatch.includes('http') && out.atPatch.includes('https'), `patchAll loaded ${out.atPatch.join(', ')}`);
  t.ok(out.original, "getOriginal('http', 'request') is the original, not the patched function");
});
