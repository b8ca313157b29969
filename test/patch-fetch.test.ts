import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { fetch as undiciFetch, request as undiciRequest } from 'undici';
import { spawn, sleep, withTimeout, GreenletExit, Timeout } from '../src/runtime/index.js';
import { patchFetch, unpatchFetch } from '../src/patch/fetch.js';
import { patchNet, unpatchNet } from '../src/patch/net.js';

patchNet();
patchFetch();
t.teardown(() => {
  unpatchFetch();
  unpatchNet();
});

const until = async (fn: () => boolean) => {
  while (!fn()) await sleep(0.01);
};

// /slow never answers; /fast answers at once. Records the close of every connection.
async function slowServer(t: { teardown(fn: () => void): void }) {
  const stats = { slow: 0, fast: 0, connections: 0, closed: 0 };
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    if (req.url === '/fast') {
      stats.fast++;
      res.end('fast');
    } else stats.slow++;
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (socket) => {
    stats.connections++;
    sockets.add(socket);
    socket.on('close', () => stats.closed++);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { stats, url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}` };
}

const clients: Record<string, (url: string) => Promise<unknown>> = {
  'global fetch': (url) => fetch(url),
  "undici's fetch": (url) => undiciFetch(url),
  "undici's request": (url) => undiciRequest(url),
};

for (const [name, call] of Object.entries(clients)) {
  t.test(`kill during ${name} to a slow server: the server sees the close`, async (t) => {
    const { stats, url } = await slowServer(t);
    const g = spawn(() => call(`${url}/slow`));
    await until(() => stats.slow === 1);
    await g.kill();
    await until(() => stats.closed >= 1);
    t.ok(g.dead);
    t.ok(g.value instanceof GreenletExit);
  });

  t.test(`withTimeout around ${name}: aborted, the server sees the close`, async (t) => {
    const { stats, url } = await slowServer(t);
    const g = spawn(() => withTimeout(0.1, () => call(`${url}/slow`)));
    await t.rejects(g.get(), Timeout);
    await until(() => stats.closed >= 1);
  });
}

t.test('fetch outside any greenlet, and a user signal, behave as usual', async (t) => {
  const { stats, url } = await slowServer(t);
  const res = await fetch(`${url}/fast`);
  t.equal(await res.text(), 'fast');
  const ac = new AbortController();
  const g = spawn(() => fetch(`${url}/slow`, { signal: ac.signal }).catch((err: Error) => err.name));
  await until(() => stats.slow === 1);
  ac.abort();
  t.equal(await g, 'AbortError');
});

t.test('a Response returned by a greenlet that ended normally can still be read', async (t) => {
  const server = http.createServer((req, res) => {
    res.write('part1-');
    setTimeout(() => res.end('part2'), 50);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/`;
  const g = spawn(() => fetch(url));
  const res = await g;
  t.ok(g.successful());
  t.equal(await res.text(), 'part1-part2');
});

t.test('a scope that is already aborted aborts the request as soon as it starts', async (t) => {
  const { url } = await slowServer(t);
  const g = spawn(() => sleep(10));
  await sleep(0.01);
  await g.kill();
  const result = await (g as unknown as { enter<R>(fn: () => R): R }).enter(() => fetch(`${url}/fast`).then(() => 'ok', (err: Error) => err));
  t.not(result, 'ok');
});
