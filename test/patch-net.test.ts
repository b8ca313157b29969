import t from 'tap';
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { spawn, sleep, withTimeout, GreenletExit, Timeout, currentScope } from '../src/runtime/index.js';
import { patchNet, unpatchNet, markShared, socketOwner } from '../src/patch/net.js';
import { listenLoopback, silentServer, until } from './helpers/servers.js';

patchNet();
t.teardown(unpatchNet);

const paths: Record<string, (port: number) => net.Socket> = {
  'net.connect': (port) => net.connect(port, '127.0.0.1'),
  'net.createConnection': (port) => net.createConnection({ port, host: '127.0.0.1' }),
  'new net.Socket().connect': (port) => new net.Socket().connect(port, '127.0.0.1'),
  'tls.connect': (port) => tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false }),
};

for (const [name, open] of Object.entries(paths)) {
  t.test(`kill during ${name}: the server sees the close, the greenlet dies with GreenletExit`, async (t) => {
    const srv = await silentServer(t);
    let client: net.Socket | undefined;
    const g = spawn(async () => {
      client = open(srv.port);
      await once(client, 'data'); // never comes
    });
    await until(() => srv.sockets.length === 1);
    await g.kill();
    await until(() => srv.closed.length === 1);
    t.ok(g.dead);
    t.ok(g.value instanceof GreenletExit);
    t.ok(client!.destroyed, 'client socket destroyed');
  });

  t.test(`withTimeout during ${name}: the socket is destroyed with the Timeout`, async (t) => {
    const srv = await silentServer(t);
    let client: net.Socket | undefined;
    let closeError: unknown;
    const g = spawn(() =>
      withTimeout(0.1, async () => {
        client = open(srv.port);
        client.on('error', (err) => (closeError = err));
        await once(client, 'data');
      }),
    );
    await t.rejects(g.get(), Timeout);
    await until(() => srv.closed.length === 1);
    t.ok(client!.destroyed);
    t.ok(closeError instanceof Timeout, 'the socket saw the scope reason');
  });
}

t.test('a socket a greenlet returns keeps working after the greenlet ended', async (t) => {
  const port = await listenLoopback(t, net.createServer((s) => s.pipe(s)));
  const g = spawn(async () => {
    const s = net.connect(port, '127.0.0.1');
    await once(s, 'connect');
    t.equal(socketOwner(s), currentScope());
    return s;
  });
  const socket = await g;
  t.ok(g.successful());
  t.equal(g.ownedCount, 0, 'released: nothing owned any more');
  await sleep(0.02);
  socket.write('ping');
  const [data] = await once(socket, 'data');
  t.equal(String(data), 'ping');
  socket.end();
  await once(socket, 'close');
});

t.test('a socket disowns itself on close', async (t) => {
  const port = await listenLoopback(t, net.createServer((s) => s.end('bye')));
  const g = spawn(async () => {
    const s = net.connect(port, '127.0.0.1');
    s.resume();
    t.equal(currentScope()!.ownedCount, 1);
    await once(s, 'close');
    return currentScope()!.ownedCount;
  });
  t.equal(await g, 0);
});

t.test('markShared: a killed greenlet leaves a shared socket alone', async (t) => {
  const srv = await silentServer(t);
  let client: net.Socket | undefined;
  const g = spawn(async () => {
    client = markShared(net.connect(srv.port, '127.0.0.1'));
    t.equal(currentScope()!.ownedCount, 0);
    await once(client, 'data');
  });
  await until(() => srv.sockets.length === 1);
  await g.kill();
  await sleep(0.05);
  t.equal(srv.closed.length, 0);
  t.notOk(client!.destroyed);
  client!.destroy();
  t.throws(() => markShared({} as net.Socket), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
});

t.test('a socket connected outside any greenlet is owned by nobody', async (t) => {
  const srv = await silentServer(t);
  const client = net.connect(srv.port, '127.0.0.1');
  t.equal(socketOwner(client), undefined);
  client.destroy();
});

t.test('connecting in a scope that was already aborted: the scope owns nothing new, the socket lives', async (t) => {
  const srv = await silentServer(t);
  let client: net.Socket | undefined;
  let entered = false;
  const g = spawn(async () => {
    entered = true;
    await sleep(0.05);
  });
  await until(() => entered);
  const scope = g as unknown as { enter<R>(fn: () => R): R };
  await g.kill();
  scope.enter(() => {
    client = net.connect(srv.port, '127.0.0.1');
    client.on('error', () => {});
  });
  t.teardown(() => client!.destroy());
  await once(client!, 'connect');
  t.notOk(client!.destroyed);
  t.equal(g.ownedCount, 0);
  t.equal(socketOwner(client!), undefined, 'the socket names no owner, so a live scope may still take it');
});
