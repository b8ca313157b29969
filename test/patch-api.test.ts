import t from 'tap';
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import timers from 'node:timers';
import * as timersPromises from 'node:timers/promises';
import { spawn as spawnChild } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { patchAll, unpatchAll, isPatched, getOriginal, patchNet } from '../src/patch/index.js';

const kGlobal = Symbol.for('undici.globalDispatcher.1');
/** Every property the patches may replace, as it is now. */
function current(): Map<string, unknown> {
  return new Map<string, unknown>([
    ['Socket.prototype.connect', net.Socket.prototype.connect],
    ['http.request', http.request],
    ['http.get', http.get],
    ['https.request', https.request],
    ['https.get', https.get],
    ['http.Agent.createConnection', http.Agent.prototype.createConnection],
    ['https.Agent.createConnection', (https.Agent.prototype as unknown as { createConnection: unknown }).createConnection],
    ['globalDispatcher', (globalThis as Record<symbol, unknown>)[kGlobal]],
    ['setTimeout', globalThis.setTimeout],
    ['timers.setInterval', timers.setInterval],
    ['promises.setTimeout', timersPromises.setTimeout],
    ['dns.lookup', dns.lookup],
    ['dns.promises.lookup', dns.promises.lookup],
  ]);
}
// Importing nodevent does not load undici (most of its import cost): patchFetch loads it when
// first called. An app that uses undici has loaded it before patching, as this file does now.
const undiciAtImport = Object.keys(createRequire(import.meta.url).cache).filter((path) => path.includes(`${sep}node_modules${sep}undici${sep}`));
await import('undici');
const before = current();
t.teardown(unpatchAll);

t.test('patchAll patches dns, net, http, fetch by default, not timers', async (t) => {
  patchAll();
  t.teardown(unpatchAll);
  for (const name of ['dns', 'net', 'http', 'https', 'fetch', 'node:net']) t.ok(isPatched(name), name);
  t.notOk(isPatched('timers'));
  const now = current();
  for (const key of ['Socket.prototype.connect', 'http.request', 'http.get', 'https.request', 'globalDispatcher', 'dns.lookup']) {
    t.not(now.get(key), before.get(key), `${key} replaced`);
  }
  t.equal(now.get('setTimeout'), before.get('setTimeout'));
});

t.test('idempotent: a second patchAll changes nothing; the union is patched', async (t) => {
  patchAll({ timers: false, fetch: false });
  t.teardown(unpatchAll);
  t.notOk(isPatched('fetch'));
  const once1 = current();
  patchAll({ timers: false, fetch: false });
  t.same([...current()].filter(([k, v]) => once1.get(k) !== v), []);
  patchAll({ timers: true });
  t.ok(isPatched('fetch'));
  t.ok(isPatched('timers'));
  t.equal(current().get('Socket.prototype.connect'), once1.get('Socket.prototype.connect'));
  patchNet();
  t.equal(current().get('Socket.prototype.connect'), once1.get('Socket.prototype.connect'));
});

t.test('unpatchAll restores the identity of every original, twice over', async (t) => {
  for (let round = 0; round < 2; round++) {
    patchAll({ timers: true });
    unpatchAll();
    for (const [key, value] of current()) t.equal(value, before.get(key), `${key} restored (round ${round})`);
    for (const name of ['dns', 'net', 'http', 'https', 'fetch', 'timers']) t.notOk(isPatched(name));
  }
  unpatchAll(); // nothing patched: harmless
});

t.test('ESM named imports of builtins see the patch, and its removal', async (t) => {
  const httpNs = await import('node:http');
  const timersNs = await import('node:timers');
  patchAll({ timers: true });
  t.equal(httpNs.request, http.request);
  t.not(httpNs.request, before.get('http.request'));
  t.equal(timersNs.setTimeout, timers.setTimeout);
  unpatchAll();
  t.equal(httpNs.request, before.get('http.request'));
  t.equal(timersNs.setTimeout, before.get('setTimeout'));
});

t.test('undici is loaded by patchFetch, not by importing nodevent', async (t) => {
  t.same(undiciAtImport, [], 'no module of the undici package was loaded by the imports above');
  t.ok(before.get('globalDispatcher'), 'undici installed its own once imported');
});

t.test('getOriginal', async (t) => {
  t.equal(getOriginal('http', 'request'), before.get('http.request'), 'unpatched: the current value');
  patchAll({ timers: true });
  t.teardown(unpatchAll);
  t.equal(getOriginal('http', 'request'), before.get('http.request'));
  t.equal(getOriginal('node:net', 'Socket.prototype.connect'), before.get('Socket.prototype.connect'));
  t.equal(getOriginal('http', 'Agent.prototype.createConnection'), before.get('http.Agent.createConnection'));
  t.equal(getOriginal('fetch', 'globalDispatcher'), before.get('globalDispatcher'));
  t.equal(getOriginal('timers', 'setInterval'), before.get('timers.setInterval'));
  t.equal(getOriginal('dns', 'lookup'), before.get('dns.lookup'));
  t.equal(getOriginal('nosuchmodule', 'x'), undefined);
});

t.test('bad arguments', async (t) => {
  t.throws(() => patchAll(null as never), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => patchAll({ net: 'yes' } as never), { name: 'TypeError', message: /options\.net/ });
  t.throws(() => patchAll({ sockets: true } as never), { name: 'TypeError', message: /options\.sockets/ });
  t.throws(() => isPatched(1 as never), { name: 'TypeError', message: /"name"/ });
  t.throws(() => getOriginal(null as never, 'x'), { name: 'TypeError', message: /"module"/ });
  t.throws(() => getOriginal('net', 3 as never), { name: 'TypeError', message: /"name"/ });
  t.notOk(isPatched('net'), 'a rejected call patched nothing');
});

t.test('the register preload patches before the app runs', async (t) => {
  // The child runs TypeScript through the same loader tap gives this process (@tapjs/typescript),
  // so src/register.ts is tested as it is, without a build.
  const loader = process.execArgv.filter((arg) => arg.includes('@tapjs/typescript'));
  const register = fileURLToPath(new URL('../src/register.ts', import.meta.url));
  const app = `
    import net from 'node:net';
    import { request } from 'node:http';
    const patched = net.Socket.prototype.connect.name === 'connect' && String(net.Socket.prototype.connect).includes('ownSocket');
    console.log(JSON.stringify({ patched, request: request.name, dispatcher: globalThis[Symbol.for('undici.globalDispatcher.1')]?.constructor.name }));
  `;
  const child = spawnChild(process.execPath, [...loader, '--import', register, '--input-type=module', '-e', app], {
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const [code] = await once(child, 'exit');
  t.equal(code, 0);
  t.same(JSON.parse(out.trim().split('\n').pop()!), { patched: true, request: 'patchedRequest', dispatcher: 'ScopedDispatcher' });
});
