import t from 'tap';
import http from 'node:http';
import { fetch as undiciFetch, request as undiciRequest } from 'undici';
import { spawn, sleep, withTimeout, GreenletExit, Timeout } from '../src/runtime/index.js';
import { patchFetch, scopeInterceptor, unpatchFetch } from '../src/patch/fetch.js';
import { patchNet, unpatchNet } from '../src/patch/net.js';
import { listenLoopback, slowHttpServer, until } from './helpers/servers.js';

patchNet();
patchFetch();
t.teardown(() => {
  unpatchFetch();
  unpatchNet();
});

const clients: Record<string, (url: string) => Promise<unknown>> = {
  'global fetch': (url) => fetch(url),
  "undici's fetch": (url) => undiciFetch(url),
  "undici's request": (url) => undiciRequest(url),
};

for (const [name, call] of Object.entries(clients)) {
  t.test(`kill during ${name} to a slow server: the server sees the close`, async (t) => {
    const { stats, url } = await slowHttpServer(t);
    const g = spawn(() => call(`${url}/slow`));
    await until(() => stats.slow === 1);
    await g.kill();
    await until(() => stats.closed >= 1);
    t.ok(g.dead);
    t.ok(g.value instanceof GreenletExit);
  });

  t.test(`withTimeout around ${name}: aborted, the server sees the close`, async (t) => {
    const { stats, url } = await slowHttpServer(t);
    const g = spawn(() => withTimeout(0.1, () => call(`${url}/slow`)));
    await t.rejects(g.get(), Timeout);
    await until(() => stats.closed >= 1);
  });
}

t.test('fetch outside any greenlet, and a user signal, behave as usual', async (t) => {
  const { stats, url } = await slowHttpServer(t);
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
  const url = `http://127.0.0.1:${await listenLoopback(t, server)}/`;
  const g = spawn(() => fetch(url));
  const res = await g;
  t.ok(g.successful());
  t.equal(await res.text(), 'part1-part2');
});

t.test('a scope that is already aborted owns nothing new: a request started in it runs to completion', async (t) => {
  const { url } = await slowHttpServer(t);
  let entered = false;
  const g = spawn(() => {
    entered = true;
    return sleep(10);
  });
  await until(() => entered);
  await g.kill();
  const result = await (g as unknown as { enter<R>(fn: () => R): R }).enter(() => fetch(`${url}/fast`).then(() => 'ok', (err: Error) => err));
  t.equal(result, 'ok');
});

for (const api of ['fetch', 'request'] as const) {
  t.test(`a request whose greenlet died while it was queued is dropped without the connection (${api})`, async (t) => {
    // One connection: the first request holds it, the second (killed) waits behind it. Aborting the
    // second once started would close the connection under the third, another greenlet's.
    const { Agent } = await import('undici');
    let connections = 0;
    const release: Array<() => void> = [];
    const server = http.createServer((req, res) => {
      if (req.url === '/hold') release.push(() => res.end('held'));
      else res.end(req.url);
    });
    server.on('connection', () => connections++);
    const url = `http://127.0.0.1:${await listenLoopback(t, server)}`;
    const agent = new Agent({ connections: 1 });
    t.teardown(() => agent.close());
    const dispatcher = agent.compose(scopeInterceptor());
    const call = (path: string): Promise<string> => (api === 'request'
      ? undiciRequest(`${url}${path}`, { dispatcher }).then((r) => r.body.text())
      : fetch(`${url}${path}`, { dispatcher } as RequestInit).then((r) => r.text()));
    // Requests on the origin's one client: running plus queued.
    const size = (): number => (agent.stats as Record<string, { size: number }>)[url]?.size ?? 0;
    const first = spawn(call, '/hold');
    await until(() => release.length === 1);
    const killed = spawn(call, '/killed');
    await until(() => size() === 2);
    await killed.kill();
    const third = spawn(call, '/third');
    await until(() => size() === 3);
    release[0]!();
    t.equal(await first, 'held');
    t.equal(await third, '/third');
    t.ok(killed.value instanceof GreenletExit);
    t.equal(connections, 1, 'the connection served the first and third requests');
  });
}
