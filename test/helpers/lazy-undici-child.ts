// patchFetch leaves undici unloaded until a request needs it. Run as its own program (argv: the
// case), so that nothing else loaded undici first; prints one JSON line of what it saw.
// Node 22 and later have a global dispatcher once node:http is loaded (their own undici's), which
// the scoped one then wraps; Node 20 has none until its first fetch.
//   fetch:   patchAll, then the global fetch: the first request loads undici when there was no
//            global dispatcher (an Agent); a greenlet's request is aborted by its timeout and the
//            server sees the connection close.
//   user:    patchAll, then the application imports undici itself: its global dispatcher is the
//            scoped one, compose works on it, undici.request goes through it; after unpatchAll
//            undici still has a working global dispatcher.
//   idle:    patchAll then unpatchAll with no request: the global dispatcher is the one before.
import http from 'node:http';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { Timeout, withTimeout } from '../../src/index.js';
import { patchAll, unpatchAll } from '../../src/patch/index.js';

const require = createRequire(import.meta.url);
const kGlobal = Symbol.for('undici.globalDispatcher.1');
const loaded = (): boolean => require.cache[require.resolve('undici')] !== undefined;
const global = (): { constructor: { name: string }; dispatch?: unknown } | undefined => (globalThis as Record<symbol, never>)[kGlobal];

const closed: string[] = [];
const server = http.createServer((req, res) => {
  req.socket.on('close', () => closed.push(req.url!));
  if (req.url !== '/slow') res.end('ok');
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const out: Record<string, unknown> = {};

const before = global();
out.hadGlobal = before !== undefined;
patchAll();
out.loadedByPatch = loaded();
out.dispatcher = global()?.constructor.name;
const kind = process.argv[2];
if (kind === 'fetch') {
  out.body = await (await fetch(`${base}/`)).text();
  out.loadedByFetch = loaded();
  try {
    await withTimeout(0.3, () => fetch(`${base}/slow`));
  } catch (error) {
    out.timedOut = error instanceof Timeout;
  }
  while (!closed.includes('/slow')) await new Promise((resolve) => setTimeout(resolve, 10));
  out.serverSawClose = true;
} else if (kind === 'user') {
  const undici = await import('undici');
  out.userSees = undici.getGlobalDispatcher() === global();
  let intercepted = 0;
  const composed = undici.getGlobalDispatcher().compose((dispatch) => (options, handler) => (intercepted++, dispatch(options, handler)));
  out.composedBody = await (await composed.request({ origin: base, path: '/', method: 'GET' })).body.text();
  out.intercepted = intercepted;
  out.isDispatcher = global() instanceof undici.Dispatcher;
  unpatchAll();
  out.afterUnpatch = typeof global()?.dispatch;
  out.bodyAfterUnpatch = await (await undici.request(`${base}/`)).body.text();
  out.fetchAfterUnpatch = await (await fetch(`${base}/`)).text();
} else {
  unpatchAll();
  out.restored = global() === before;
  out.loadedAtEnd = loaded();
  out.fetchAfterUnpatch = await (await fetch(`${base}/`)).text();
}
server.closeAllConnections();
server.close();
console.log(JSON.stringify(out));
process.exit(0);
