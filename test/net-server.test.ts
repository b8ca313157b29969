import t, { type Test } from 'tap';
import { Pool } from '../src/runtime/pool.js';
import { GreenletExit, Event, hub, sleep, spawn } from '../src/runtime/index.js';
import { eventually, until } from './helpers/servers.js';
import { AF_INET6, DatagramServer, SOCK_DGRAM, StreamServer, TcpSocket, UdpSocket, createConnection, socket, type Address } from '../src/net/index.js';

t.test("the chapter's TCP exchange through a StreamServer", async (t) => {
  const said: string[] = [];
  const server = new StreamServer(['127.0.0.1', 0], async (sock, address) => {
    const data = await sock.recv(1000);
    said.push(`${address[0]} said ${data.toString()}`);
    await sock.sendall(Buffer.from('Are you talking to me?'));
  });
  await server.start();
  t.teardown(() => server.stop());
  t.ok(server.serverPort > 0);
  t.equal(server.address[0], '127.0.0.1');
  const client = await createConnection(['localhost', server.serverPort]);
  await client.sendall(Buffer.from('Hey!'));
  t.equal((await client.recv(1000)).toString(), 'Are you talking to me?');
  t.equal((await client.recv(1000)).length, 0, 'the server closed the socket when the handler returned');
  client.close();
  t.same(said, ['127.0.0.1 said Hey!']);
});

t.test('a StreamServer with a pool of 2 never runs 3 handlers; the others wait their turn', async (t) => {
  let running = 0;
  let most = 0;
  const release = new Event();
  const pool = new Pool(2);
  const server = new StreamServer(['127.0.0.1', 0], async (sock) => {
    running++;
    most = Math.max(most, running);
    try {
      await release.wait();
      const n = await sock.recvExactly(1);
      await sock.sendall(n);
    } finally {
      running--;
    }
  }, { spawn: pool });
  await server.start();
  t.teardown(() => server.stop());
  const clients = await Promise.all(Array.from({ length: 6 }, () => createConnection(['127.0.0.1', server.serverPort])));
  await Promise.all(clients.map((c, i) => c.sendall(Buffer.from([i]))));
  // Wait for the state (two handlers in, the rest accepted and held back), then check it.
  await eventually(() => running === 2 && server.socket!.pendingCount >= 3, 10);
  t.equal(running, 2, 'two handlers run');
  t.equal(server.handlerCount, 2);
  t.equal(pool.freeCount(), 0);
  t.ok(server.socket!.pendingCount >= 3, 'the rest wait, accepted by Node but not handed to a handler');
  release.set();
  const replies = await Promise.all(clients.map((c) => c.recvExactly(1)));
  t.same(replies.map((b) => b[0]), [0, 1, 2, 3, 4, 5], 'every client was served in the end');
  t.equal(most, 2, 'never more than 2 at once');
  for (const c of clients) c.close();
});

t.test('spawn as a number makes a Pool of that size', async (t) => {
  const server = new StreamServer(['127.0.0.1', 0], () => {}, { spawn: 3 });
  t.type(server.pool, Pool);
  t.equal(server.pool!.size, 3);
  t.equal(new StreamServer(['127.0.0.1', 0], () => {}).pool, undefined);
});

t.test('with a pool, stop kills a handler stuck in recv, after its grace period', async (t) => {
  let reason: unknown;
  const entered = new Event();
  const server = new StreamServer(['127.0.0.1', 0], async (sock) => {
    entered.set();
    await sock.recv(10).catch((e: unknown) => { reason = e; throw e; });
  }, { spawn: 2 });
  await server.start();
  const port = server.serverPort;
  const client = await createConnection(['127.0.0.1', server.serverPort]);
  await entered.wait();
  await server.stop({ timeout: 0.1 });
  t.equal(server.handlerCount, 0);
  t.type(reason, GreenletExit, 'the recv rejected with the kill');
  t.equal((await client.recv(10)).length, 0, 'the client sees the close');
  client.close();
  t.equal(server.serverPort, port, 'the real port is kept after stop, as gevent keeps it');
  await t.rejects(createConnection(['127.0.0.1', port]), { code: 'ECONNREFUSED' }, 'the listener is closed');
  await t.rejects(server.start(), /stopped/);
});

t.test('without a pool, stop closes the listener at once and lets running handlers end by themselves, as gevent', async (t) => {
  const entered = new Event();
  const go = new Event();
  const server = new StreamServer(['127.0.0.1', 0], async (sock) => {
    entered.set();
    await go.wait();
    await sock.sendall(Buffer.from('late\n'));
  });
  await server.start();
  const port = server.serverPort;
  const client = await createConnection(['127.0.0.1', port]);
  t.teardown(() => client.close());
  await entered.wait();
  await server.stop({ timeout: 0.05 });
  t.equal(server.handlerCount, 1, 'the handler still runs');
  await t.rejects(createConnection(['127.0.0.1', port]), { code: 'ECONNREFUSED' }, 'no new connections');
  go.set();
  t.equal((await client.readline()).toString(), 'late\n', 'the handler finished its work');
  t.equal((await client.recv(10)).length, 0, 'and its socket closed when it returned');
});

t.test('stop on a server that never started closes the listening socket it was given', async (t) => {
  const listener = new TcpSocket();
  await listener.bind(['127.0.0.1', 0]);
  await listener.listen();
  const port = listener.getsockname()[1];
  const server = new StreamServer(listener, async () => {});
  await server.stop();
  t.equal(listener.closed, true);
  t.equal(server.serverPort, port);
  await t.rejects(createConnection(['127.0.0.1', port]), { code: 'ECONNREFUSED' });
  const udp = new UdpSocket();
  await udp.bind(['127.0.0.1', 0]);
  const datagrams = new DatagramServer(udp, async () => {});
  t.equal(datagrams.serverHost, '127.0.0.1');
  await datagrams.stop();
  t.equal(udp.closed, true);
});

t.test('with a pool, stop waits for a handler that finishes in time', async (t) => {
  const finished: string[] = [];
  const received = new Event();
  const server = new StreamServer(['127.0.0.1', 0], async (sock) => {
    await sock.recvExactly(1);
    received.set();
    await sleep(0.05); // a handler that still has work when stop is called
    finished.push('done');
    await sock.sendall(Buffer.from('bye'));
  }, { spawn: 4 });
  const serving = spawn(() => server.serveForever());
  await until(() => server.started && server.serverPort !== 0);
  const client = await createConnection(['127.0.0.1', server.serverPort]);
  await client.sendall(Buffer.from('x'));
  await received.wait();
  await server.stop({ timeout: 2 });
  t.same(finished, ['done']);
  t.equal((await client.recvExactly(3)).toString(), 'bye');
  client.close();
  await serving;
  t.equal(serving.successful(), true, 'serveForever returns after stop');
});

t.test('a listening green socket as listener; handler failures go to the hub', async (t) => {
  const listener = socket();
  await listener.bind(['127.0.0.1', 0]);
  await listener.listen(8);
  const failures: unknown[] = [];
  const previous = hub.errorHandler;
  hub.errorHandler = (_g, error) => failures.push(error);
  t.teardown(() => { hub.errorHandler = previous; });
  const server = new StreamServer(listener, async () => { throw new Error('handler boom'); });
  await server.start();
  t.equal(server.serverPort, listener.getsockname()[1]);
  const client = await createConnection(['127.0.0.1', server.serverPort]);
  t.equal((await client.recv(10)).length, 0, 'the socket is closed after the failure too');
  client.close();
  await server.stop();
  t.equal(failures.length, 1, 'reported once');
  t.match(failures, [{ message: 'handler boom' }]);
  t.equal(listener.closed, true);
});

t.test('killing the greenlet that started a server stops it', async (t) => {
  let server: StreamServer | undefined;
  const g = spawn(async () => {
    server = new StreamServer(['127.0.0.1', 0], async (sock) => { await sock.recv(10); });
    await server.serveForever();
  });
  await until(() => server?.started === true && server.serverPort !== 0);
  const port = server!.serverPort;
  const client = await createConnection(['127.0.0.1', port]);
  await until(() => server!.handlerCount === 1);
  await g.kill();
  t.equal((await client.recv(10)).length, 0, 'its handler died with it');
  client.close();
  await t.rejects(createConnection(['127.0.0.1', port]), { code: 'ECONNREFUSED' });
  t.ok(await eventually(() => server!.closed, 10), 'the server counts as stopped');
});

t.test("the chapter's UDP exchange through a DatagramServer", async (t) => {
  const said: string[] = [];
  const server = new DatagramServer(['127.0.0.1', 0], async (data, address, srv) => {
    said.push(`${address[0]} said ${data.toString()}`);
    await srv.sendto(Buffer.from('Are you talking to me?'), address);
  });
  await server.start();
  t.teardown(() => server.stop());
  const client = new UdpSocket();
  t.teardown(() => client.close());
  await client.sendto(Buffer.from('Hey!'), ['localhost', server.serverPort]);
  const [data, from] = await client.recvfrom(4096);
  t.equal(data.toString(), 'Are you talking to me?');
  t.same(from, ['127.0.0.1', server.serverPort] as Address);
  t.same(said, ['127.0.0.1 said Hey!']);
});

t.test('IPv6 servers: the handler gets the peer as [host, port, flowinfo, scopeId]', async (t) => {
  const seen: Address[] = [];
  const stream = new StreamServer(['::1', 0], async (sock, address) => {
    seen.push(address);
    await sock.sendall(Buffer.from('hi'));
  });
  try {
    await stream.start();
  } catch (error) {
    t.comment(`no IPv6 loopback here: ${(error as Error).message}`);
    t.pass('skipped: no IPv6 loopback');
    return;
  }
  t.teardown(() => stream.stop());
  t.same(stream.address, ['::1', stream.serverPort, 0, 0]);
  const client = await createConnection(['::1', stream.serverPort]);
  t.teardown(() => client.close());
  t.equal((await client.recv(2)).toString(), 'hi');
  t.same(seen, [['::1', client.getsockname()[1], 0, 0]]);
  const datagrams = new DatagramServer(['::1', 0], async (data, address, srv) => {
    seen.push(address);
    await srv.sendto(data, address);
  });
  await datagrams.start();
  t.teardown(() => datagrams.stop());
  const udp = socket(AF_INET6, SOCK_DGRAM) as UdpSocket;
  t.teardown(() => udp.close());
  await udp.sendto(Buffer.from('echo'), datagrams.address);
  const [data, from] = await udp.recvfrom(16);
  t.equal(data.toString(), 'echo');
  t.same(from, datagrams.address);
  t.same(seen[1], ['::1', udp.getsockname()[1], 0, 0]);
});

t.test('bad input', async (t) => {
  t.throws(() => new StreamServer(['127.0.0.1', 70000], () => {}), { name: 'RangeError', message: /"listener\[1\]"/ });
  t.throws(() => new StreamServer({ host: '127.0.0.1', port: 80 } as unknown as Address, () => {}), { name: 'TypeError', message: /"listener"/ });
  t.throws(() => new StreamServer(['127.0.0.1', 0], 'nope' as unknown as () => void), { name: 'TypeError', message: /"handler"/ });
  t.throws(() => new StreamServer(['127.0.0.1', 0], () => {}, { spawn: 'x' as unknown as number }), { name: 'TypeError', message: /"options.spawn"/ });
  for (const spawn of [0, -1, 2.5, NaN]) t.throws(() => new StreamServer(['127.0.0.1', 0], () => {}, { spawn }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: /"options.spawn"/ }, `spawn: ${spawn}`);
  t.throws(() => new StreamServer(['127.0.0.1', 0], () => {}, { timeout: -1 }), { name: 'RangeError', message: /"options.timeout"/ });
  const listening = new TcpSocket();
  t.throws(() => new StreamServer(listening, () => {}, { backlog: 5 }), { name: 'TypeError', message: /"options.backlog"/ }, "gevent's test_backlog_is_not_accepted_for_socket");
  listening.close();
  const server = new StreamServer(['127.0.0.1', 0], () => {});
  await t.rejects(server.stop({ timeout: -1 }), { name: 'RangeError' });
  t.type(new TcpSocket(), TcpSocket);
});

/** Collects what the hub reports (`[greenlet name, error]`) until the test ends. */
function hubReports(t: Test): Array<[string, unknown]> {
  const reports: Array<[string, unknown]> = [];
  const previous = hub.errorHandler;
  hub.errorHandler = (g, error) => reports.push([String(g), error]);
  t.teardown(() => { hub.errorHandler = previous; });
  return reports;
}

/** A listening green socket on loopback, given to a server as its listener. */
async function listening(): Promise<TcpSocket> {
  const listener = socket();
  await listener.bind(['127.0.0.1', 0]);
  await listener.listen(8);
  return listener;
}

t.test('a StreamServer whose listener is closed under it: serveForever rejects with the error, the hub stays quiet', async (t) => {
  const reports = hubReports(t);
  const listener = await listening();
  const server = new StreamServer(listener, () => {});
  t.teardown(() => server.stop());
  const serving = server.serveForever();
  await until(() => server.started);
  listener.close(); // the accept loop cannot go on: before, serveForever resolved as if stopped
  await t.rejects(serving, { code: 'EBADF' }, 'the caller of serveForever gets the failure');
  t.equal(server.closed, true, 'the server stopped');
  t.same(reports, [], 'observed by its caller: not reported again');
});

t.test('a started StreamServer whose accept loop fails with nobody in serveForever reports to the hub', async (t) => {
  const reports = hubReports(t);
  const listener = await listening();
  const server = new StreamServer(listener, () => {});
  t.teardown(() => server.stop());
  await server.start();
  listener.close();
  t.ok(await eventually(() => reports.length > 0 && server.closed, 10), 'reported, and the server stopped');
  t.equal(reports.length, 1, 'reported once');
  t.match(reports[0]![1], { code: 'EBADF' });
  t.match(reports[0]![0], /StreamServer-loop/, 'in the name of the serving greenlet');
});

t.test('a DatagramServer whose socket is closed under it: serveForever rejects with the error', async (t) => {
  const sock = new UdpSocket();
  await sock.bind(['127.0.0.1', 0]);
  const server = new DatagramServer(sock, () => {});
  t.teardown(() => server.stop());
  const serving = server.serveForever();
  await until(() => server.started);
  sock.close();
  await t.rejects(serving, { code: 'EBADF' });
  t.equal(server.closed, true);
});

t.test('a server stopped while serveForever waits: it resolves, and nothing is reported', async (t) => {
  const reports = hubReports(t);
  const server = new StreamServer(['127.0.0.1', 0], () => {});
  const serving = server.serveForever();
  await until(() => server.started);
  await server.stop();
  await serving;
  t.same(reports, []);
});

t.test("['', port] listens on every interface of both families, as gevent's ('', port) listens on '::'", async (t) => {
  const server = new StreamServer(['', 0], async (sock) => { await sock.sendall(Buffer.from('hi')); });
  await server.start();
  t.teardown(() => server.stop());
  t.equal(server.serverHost, '::');
  for (const host of ['127.0.0.1', '::1']) {
    const client = await createConnection([host, server.serverPort]);
    t.equal((await client.recvExactly(2)).toString(), 'hi', `a client on ${host}`);
    client.close();
  }
  const datagrams = new DatagramServer(['', 0], async (data, address, srv) => { await srv.sendto(data, address); });
  await datagrams.start();
  t.teardown(() => datagrams.stop());
  t.equal(datagrams.serverHost, '::');
  const udp = new UdpSocket();
  t.teardown(() => udp.close());
  await udp.sendto(Buffer.from('x'), ['127.0.0.1', datagrams.serverPort]);
  t.equal((await udp.recvfrom(10))[0].toString(), 'x', 'an IPv4 datagram is answered');
});

t.test("listeners as gevent's parse_address reads them: a port, 'host:port', '[::1]:port', ':port'", async (t) => {
  const cases: Array<[listener: number | string, host: string]> = [[0, '::'], ['0', '::'], ['127.0.0.1:0', '127.0.0.1'], ['[::1]:0', '::1'], [':0', '0.0.0.0']];
  for (const [listener, host] of cases) {
    const server = new StreamServer(listener, () => {});
    await server.start();
    t.equal(server.serverHost, host, `${JSON.stringify(listener)} listens on ${host}`);
    t.not(server.serverPort, 0);
    await server.stop();
  }
  for (const bad of ['localhost', '127.0.0.1:http', ':', 'x:-1']) {
    t.throws(() => new StreamServer(bad, () => {}), { name: 'TypeError', message: /"listener"/ }, `${bad}: refused`);
  }
  t.throws(() => new DatagramServer(70000, () => {}), { name: 'RangeError' }, 'a port out of range');
});
