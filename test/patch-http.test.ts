import t from 'tap';
import http from 'node:http';
import https from 'node:https';
import { once } from 'node:events';
import axios from 'axios';
import { spawn, withTimeout, GreenletExit, Timeout } from '../src/runtime/index.js';
import { patchHttp, unpatchHttp } from '../src/patch/http.js';
import { patchNet, unpatchNet } from '../src/patch/net.js';
import { hangingHttpServer, listenLoopback, silentServer, until } from './helpers/servers.js';

patchNet();
patchHttp();
t.teardown(() => {
  unpatchHttp();
  unpatchNet();
});

t.test('kill during http.get whose server never sends headers', async (t) => {
  const srv = await hangingHttpServer(t);
  const g = spawn(async () => {
    const req = http.get(`http://127.0.0.1:${srv.port}/`);
    await once(req, 'response');
  });
  await until(() => srv.requests === 1);
  await g.kill();
  await until(() => srv.closed >= 1);
  t.ok(g.dead);
  t.ok(g.value instanceof GreenletExit);
});

t.test('withTimeout around http.request: the request is destroyed with the Timeout', async (t) => {
  const srv = await hangingHttpServer(t);
  let seen: unknown;
  const g = spawn(() =>
    withTimeout(0.1, async () => {
      const req = http.request({ port: srv.port, host: '127.0.0.1', path: '/' });
      req.on('error', (err) => (seen = err));
      req.end();
      await once(req, 'response');
    }),
  );
  await t.rejects(g.get(), Timeout);
  await until(() => srv.closed >= 1);
  t.ok(seen instanceof Timeout);
});

t.test('kill during https.get (TLS handshake never answered)', async (t) => {
  const srv = await silentServer(t);
  const g = spawn(async () => {
    const req = https.get({ port: srv.port, host: '127.0.0.1', rejectUnauthorized: false });
    await once(req, 'response');
  });
  await until(() => srv.sockets.length === 1);
  await g.kill();
  await until(() => srv.closed.length === 1);
  t.ok(g.value instanceof GreenletExit);
});

t.test('axios, unmodified, under withTimeout: aborted, the server sees the socket close', async (t) => {
  const srv = await hangingHttpServer(t);
  const g = spawn(() => withTimeout(0.2, () => axios.get(`http://127.0.0.1:${srv.port}/slow`)));
  await t.rejects(g.get(), Timeout);
  await until(() => srv.closed >= 1);
  t.equal(srv.requests, 1);
});

t.test('axios inside a killed greenlet', async (t) => {
  const srv = await hangingHttpServer(t);
  const g = spawn(() => axios.get(`http://127.0.0.1:${srv.port}/slow`));
  await until(() => srv.requests === 1);
  await g.kill();
  await until(() => srv.closed >= 1);
  t.ok(g.value instanceof GreenletExit);
});

t.test('a request that completes normally is not touched; its response callback runs in the greenlet', async (t) => {
  const port = await listenLoopback(t, http.createServer((req, res) => res.end('ok')));
  const g = spawn(
    () =>
      new Promise<string>((resolve, reject) => {
        http.get(`http://127.0.0.1:${port}/`, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve(body));
        }).on('error', reject);
      }),
  );
  t.equal(await g, 'ok');
  t.equal(g.ownedCount, 0);
});

t.test("a user's own signal still works", async (t) => {
  const srv = await hangingHttpServer(t);
  const ac = new AbortController();
  const g = spawn(async () => {
    const req = http.get(`http://127.0.0.1:${srv.port}/`, { signal: ac.signal });
    try {
      await once(req, 'response');
    } catch (err) {
      return (err as Error).name;
    }
  });
  await until(() => srv.requests === 1);
  ac.abort();
  t.equal(await g, 'AbortError');
  await until(() => srv.closed >= 1);
});
