import t, { type Test } from 'tap';
import { spawn as spawnChild } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { GreenletExit, spawn, sleep, withTimeout, Timeout } from '../src/runtime/index.js';
import { until } from './helpers/servers.js';
import {
  AF_INET, AF_INET6, IncompleteReadError, SHUT_RD, SHUT_WR, SOCK_STREAM, TcpSocket, createConnection, setdefaulttimeout, socket, timeout as SocketTimeout,
  type Address,
} from '../src/net/index.js';

/** A listening green socket on loopback, closed when the test ends. */
async function listener(t: Test): Promise<[TcpSocket, Address]> {
  const server = socket(AF_INET, SOCK_STREAM);
  await server.bind(['127.0.0.1', 0]);
  await server.listen(5);
  t.teardown(() => server.close());
  return [server, server.getsockname()];
}

t.test("the chapter's TCP client and server exchange", async (t) => {
  const server = socket(AF_INET, SOCK_STREAM);
  await server.bind(['localhost', 0]);
  await server.listen(5);
  const address: Address = ['localhost', server.getsockname()[1]];
  const said: string[] = [];
  const serving = spawn(async () => {
    const [client, addr] = await server.accept();
    const data = await client.recv(1000);
    said.push(`${addr[0]} said ${data.toString()}`);
    await client.sendall(Buffer.from('Are you talking to me?'));
    client.close();
    server.close();
  });
  const replied = spawn(async () => {
    const client = socket(AF_INET, SOCK_STREAM);
    await client.connect(address);
    await client.sendall(Buffer.from('Hey!'));
    const data = await client.recv(1000);
    client.close();
    return data.toString();
  });
  t.equal(await replied, 'Are you talking to me?');
  await serving;
  t.same(said, ['127.0.0.1 said Hey!']);
  t.equal(server.closed, true);
});

t.test('recv returns an empty buffer at EOF; shutdown(SHUT_WR) sends it while reading goes on', async (t) => {
  const [server, address] = await listener(t);
  const echo = spawn(async () => {
    const [conn] = await server.accept();
    const all: Buffer[] = [];
    for (;;) {
      const chunk = await conn.recv(4);
      if (chunk.length === 0) break;
      all.push(chunk);
    }
    await conn.sendall(Buffer.concat(all));
    conn.close();
  });
  const client = await createConnection(address);
  await client.sendall(Buffer.from('hello world'));
  client.shutdown(SHUT_WR);
  t.equal((await client.recvExactly(11)).toString(), 'hello world');
  t.equal((await client.recv(10)).length, 0, 'EOF is an empty buffer');
  t.equal((await client.recv(10)).length, 0, 'and stays so');
  client.close();
  await echo;
});

t.test('TCP is a byte stream: recvExactly and readline rebuild messages', async (t) => {
  const [server, address] = await listener(t);
  const sender = spawn(async () => {
    const [conn] = await server.accept();
    const body = Buffer.from('a message of 23 bytes..');
    const header = Buffer.alloc(4);
    header.writeUInt32BE(body.length);
    // Sent in odd pieces: the receiver must not depend on how the bytes arrive.
    const wire = Buffer.concat([header, body, Buffer.from('line one\nline two\nrest')]);
    for (let i = 0; i < wire.length; i += 5) {
      await conn.sendall(wire.subarray(i, i + 5));
      await sleep(0.001);
    }
    conn.close();
  });
  const client = await createConnection(address);
  const size = (await client.recvExactly(4)).readUInt32BE(0);
  t.equal(size, 23);
  t.equal((await client.recvExactly(size)).toString(), 'a message of 23 bytes..');
  t.equal((await client.readline()).toString(), 'line one\n');
  t.equal((await client.readUntil('\n')).toString(), 'line two\n');
  t.equal((await client.readline()).toString(), 'rest', 'at EOF readline gives the rest');
  t.equal((await client.readline()).length, 0);
  client.close();
  await sender;
});

t.test('recvExactly: EOF first gives IncompleteReadError; a reset gives an error, not a hang', async (t) => {
  const [server, address] = await listener(t);
  const peer = spawn(async () => {
    const [a] = await server.accept();
    await a.sendall(Buffer.from('abc'));
    a.close();
    const [b] = await server.accept();
    await b.sendall(Buffer.from('xyz'));
    await sleep(0.05);
    b.rawSocket!.resetAndDestroy();
    b.close();
  });
  const first = await createConnection(address);
  const err = await first.recvExactly(10).catch((e: unknown) => e);
  t.type(err, IncompleteReadError);
  t.equal((err as IncompleteReadError).partial.toString(), 'abc');
  first.close();
  const second = await createConnection(address);
  const reset = await second.recvExactly(10).catch((e: unknown) => e);
  t.equal((reset as NodeJS.ErrnoException).code, 'ECONNRESET');
  second.close();
  await peer;
});

t.test('the per-socket timeout fires, and the socket stays usable', async (t) => {
  const [server, address] = await listener(t);
  const client = new TcpSocket({ timeout: 5 });
  await client.connect(address);
  const [conn] = await server.accept();
  client.settimeout(0.1);
  t.equal(client.gettimeout(), 0.1);
  await t.rejects(client.recv(10), SocketTimeout);
  await t.rejects(client.recvExactly(1), { name: 'timeout', message: 'timed out' });
  await conn.sendall(Buffer.from('late'));
  client.settimeout(null);
  t.equal((await client.recvExactly(4)).toString(), 'late', 'no byte was lost to the timed-out calls');
  client.setblocking(false);
  await t.rejects(client.recv(10), { name: 'BlockingIOError' });
  conn.close();
  client.close();
});

t.test('a withTimeout around recv cancels the wait, not the socket', async (t) => {
  const [server, address] = await listener(t);
  let expired = false;
  const g = spawn(async () => {
    const client = await createConnection(address);
    const result = await withTimeout(0.05, () => client.recv(10), { timeoutValue: 'expired' });
    expired = true;
    const later = await client.recv(10);
    client.close();
    return [result, later.toString()];
  });
  const [conn] = await server.accept();
  await until(() => expired); // only then send: the data must reach the recv after the timeout
  await conn.sendall(Buffer.from('after'));
  t.same(await g, ['expired', 'after']);
  conn.close();
});

t.test('killing a greenlet blocked in recv closes its socket: the peer sees the close', async (t) => {
  const [server, address] = await listener(t);
  let reason: unknown;
  let mine: TcpSocket | undefined;
  const g = spawn(async () => {
    mine = await createConnection(address);
    try {
      await mine.recv(10);
    } catch (error) {
      reason = error;
      throw error;
    }
  });
  const [conn] = await server.accept();
  await until(() => mine !== undefined); // recv starts in the same turn
  await g.kill();
  t.type(g.value, GreenletExit);
  t.equal(mine!.closed, true);
  t.equal((await conn.recv(10)).length, 0, 'the peer reads EOF');
  conn.close();
  await sleep(0);
  t.type(reason, GreenletExit, 'the pending recv rejected with the kill reason');
});

t.test('a greenlet killed in connect or accept leaves nothing behind', async (t) => {
  const [server] = await listener(t);
  let accepting1 = false;
  const g = spawn(() => {
    accepting1 = true;
    return server.accept();
  });
  await until(() => accepting1);
  await g.kill();
  const conn = new TcpSocket();
  const [, port] = server.getsockname();
  // accept still works for the next caller: the killed waiter consumed nothing
  const accepting = spawn(() => server.accept());
  await conn.connect(['127.0.0.1', port]);
  const [peer] = await accepting;
  t.equal(peer.closed, false);
  peer.close();
  conn.close();
  const timed = withTimeout(0.01, () => server.accept());
  await t.rejects(timed, Timeout);
});

t.test('bad input is refused with errors naming the argument', async (t) => {
  const [, address] = await listener(t);
  const client = await createConnection(address);
  t.teardown(() => client.close());
  await t.rejects(client.sendall('Hey!' as unknown as Buffer), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /"data".*bytes, not str/ });
  await t.rejects(client.sendall(42 as unknown as Buffer), { name: 'TypeError', message: /"data"/ });
  await t.rejects(client.recv(-1), { name: 'RangeError', message: /"bufsize"/ });
  t.throws(() => client.settimeout(-1), { name: 'RangeError', message: /"timeout"/ });
  t.throws(() => new TcpSocket({ timeout: -2 }), { name: 'RangeError', message: /"options.timeout"/ });
  const other = new TcpSocket();
  await t.rejects(other.connect(['127.0.0.1', 70000]), { name: 'RangeError', message: /"address\[1\]"/ });
  await t.rejects(other.connect(['127.0.0.1', -1]), { name: 'RangeError' });
  await t.rejects(other.connect('127.0.0.1:80' as unknown as Address), { name: 'TypeError', message: /"address"/ });
  await t.rejects(createConnection(['127.0.0.1', 65536]), { name: 'RangeError' });
  other.close();
  await t.rejects(other.recv(1), { code: 'EBADF' });
  await t.rejects(new TcpSocket().recv(1), { code: 'ENOTCONN' });
});

t.test('a refused connection rejects with ECONNREFUSED', async (t) => {
  const [server, address] = await listener(t);
  server.close();
  await t.rejects(createConnection(address), { code: 'ECONNREFUSED' });
});

t.test('large messages pass the read-ahead limit without a stall; nothing stays owned', async (t) => {
  const [server, address] = await listener(t);
  const big = Buffer.alloc(300 * 1024, 7);
  const line = Buffer.concat([Buffer.alloc(100 * 1024, 97), Buffer.from('\n')]);
  const sender = spawn(async () => {
    const [conn] = await server.accept();
    await conn.sendall(Buffer.concat([big, line, big]));
    conn.close();
  });
  const g = spawn(async () => {
    const client = await createConnection(address, { timeout: 10 });
    await sleep(0.05); // let the read-ahead fill and pause the socket
    const a = await client.recvExactly(big.length);
    const l = await client.readline();
    const b = await client.recvExactly(big.length);
    const eof = await client.recv(1);
    client.close();
    return [a.equals(big), l.equals(line), b.equals(big), eof.length, (await import('../src/runtime/index.js')).getCurrent()!.ownedCount];
  });
  t.same(await g, [true, true, true, 0, 0]);
  await sender;
});

t.test('IPv6 loopback', async (t) => {
  const server = new TcpSocket({ family: AF_INET6 });
  t.teardown(() => server.close());
  try {
    await server.bind(['::1', 0]);
    await server.listen();
  } catch (error) {
    t.comment(`no IPv6 loopback here: ${(error as Error).message}`);
    t.pass('skipped: no IPv6 loopback');
    return;
  }
  const [host, port] = server.getsockname();
  t.same(server.getsockname(), ['::1', port, 0, 0], 'an IPv6 address is [host, port, flowinfo, scopeId], as Python gives it');
  t.equal(host, '::1');
  const accepting = spawn(() => server.accept());
  const client = new TcpSocket({ family: AF_INET6 });
  t.teardown(() => client.close());
  // Python's 4-tuple is taken as it is given back.
  await client.connect(['::1', port, 0, 0]);
  const [conn, from] = await accepting;
  t.teardown(() => conn.close());
  t.same(from, ['::1', client.getsockname()[1], 0, 0], 'accept gives the peer as a 4-tuple');
  t.same(client.getpeername(), ['::1', port, 0, 0]);
  t.same(conn.getpeername(), from);
  // A scope id is the interface's index: loopback's, given to ::1, reaches the same listener.
  const lo = Number(readFileSync('/sys/class/net/lo/ifindex', 'utf8'));
  const scoped = new TcpSocket({ family: AF_INET6 });
  t.teardown(() => scoped.close());
  const accepting2 = spawn(() => server.accept());
  await scoped.connect(['::1', port, 0, lo]);
  (await accepting2)[0].close();
  await client.sendall(Buffer.from('v6'));
  t.equal((await conn.recvExactly(2)).toString(), 'v6');
  conn.close();
  client.close();
});

t.test('addresses with flowinfo and scope id: checked, and refused by an AF_INET socket', async (t) => {
  const v4 = new TcpSocket({ family: AF_INET });
  t.teardown(() => v4.close());
  await t.rejects(v4.connect(['127.0.0.1', 1, 0, 0]), { name: 'TypeError', message: /AF_INET socket/ }, 'an AF_INET address must be a pair');
  await t.rejects(v4.bind(['127.0.0.1', 0, 0]), { name: 'TypeError', message: /AF_INET socket/ });
  const v6 = new TcpSocket({ family: AF_INET6 });
  t.teardown(() => v6.close());
  await t.rejects(v6.connect(['::1', 1, 1 << 20, 0]), { name: 'RangeError', message: /"address\[2\]".*<= 1048575/ }, 'flowinfo is 20 bits');
  await t.rejects(v6.connect(['::1', 1, 5, 0]), { name: 'RangeError', message: /"address\[2\]".*cannot set an IPv6 flow label/ }, 'a flow label Node cannot send is refused, not dropped');
  await t.rejects(v6.connect(['::1', 1, 0, -1]), { name: 'RangeError', message: /"address\[3\]"/ });
  await t.rejects(v6.connect(['::1', 1, 0, 2 ** 31]), { name: 'RangeError', message: /"address\[3\]".*network interfaces/ }, 'a scope id no interface has');
  await t.rejects(v6.connect(['::1', 1, '0' as unknown as number, 0]), { name: 'TypeError', message: /"address\[2\]"/ });
  await t.rejects(v6.connect(['::1', 1, 0, 0, 0] as unknown as [string, number]), { name: 'TypeError', message: /flowinfo, scopeId/ });
});

t.test("an accepted socket starts with the default timeout, not its listener's, as in Python", async (t) => {
  const [server, address] = await listener(t);
  server.settimeout(5);
  const client = await createConnection(address);
  t.teardown(() => client.close());
  const [conn] = await server.accept();
  t.teardown(() => conn.close());
  t.equal(conn.timeout, null, 'a listener with a timeout: the accepted socket blocks');
  setdefaulttimeout(3);
  t.teardown(() => setdefaulttimeout(null));
  server.settimeout(0);
  const client2 = await createConnection(address);
  t.teardown(() => client2.close());
  await until(() => server.pendingCount > 0);
  const [conn2] = await server.accept();
  t.teardown(() => conn2.close());
  t.equal(conn2.timeout, 3, 'setdefaulttimeout(3), a non-blocking listener: 3');
});

t.test('binding twice is EINVAL; socket-state errors carry errno as Python does', async (t) => {
  const s = socket(AF_INET, SOCK_STREAM);
  t.teardown(() => s.close());
  await s.bind(['127.0.0.1', 0]);
  await t.rejects(s.bind(['127.0.0.1', 0]), { code: 'EINVAL', errno: 22, message: /^\[Errno 22\]/ });
  t.throws(() => s.getpeername(), { code: 'ENOTCONN', errno: 107, message: /^\[Errno 107\]/ });
});

/** The error `promise` rejects with (undefined when it resolves). */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => undefined, (error: unknown) => error);
}

/**
 * A loopback listener that never accepts: a child process listens with a backlog of 1, then blocks
 * its event loop. Linux queues two connections; the SYN of a third is dropped, so its connect hangs.
 * The block lasts 30 s at most, so the child ends by itself even if this test process is killed
 * before its teardown runs.
 */
async function blackhole(t: Test): Promise<Address> {
  const code = "const s = require('net').createServer().listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => { process.stdout.write(s.address().port + '\\n'); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30000); process.exit(0); });";
  const child = spawnChild(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => void child.kill('SIGKILL')); // blocked in Atomics.wait, it would not act on SIGTERM
  const port = await new Promise<number>((resolve) => child.stdout.once('data', (data) => resolve(Number(String(data)))));
  return ['127.0.0.1', port];
}

t.test('close() in another greenlet wakes a blocking connect with EBADF, as gevent, and drops the attempt', async (t) => {
  const address = await blackhole(t);
  const queued = [new TcpSocket(), new TcpSocket()];
  t.teardown(() => queued.forEach((s) => s.close()));
  for (const s of queued) await s.connect(address); // the listener's queue is full now
  for (const timeout of [null, 30]) {
    const sock = new TcpSocket({ timeout });
    const g = spawn(() => sock.connect(address));
    await until(() => String(sock) === '<TcpSocket connecting>');
    sock.close();
    await g.join({ timeout: 5 });
    t.equal(g.dead, true, `timeout ${timeout}: the connect ended`);
    t.match(g.exception, { code: 'EBADF', errno: 9, message: /^\[Errno 9\] Bad file descriptor/ }, 'with the closed-socket error');
    t.equal(String(sock), '<TcpSocket closed>');
  }
  await until(() => !process.getActiveResourcesInfo().includes('TCPConnectWrap'));
  t.pass('no connect attempt is left');
});

t.test('close() in another greenlet rejects a blocked sendall with EBADF (Node 20 would report the discarded write as sent)', async (t) => {
  const [server, address] = await listener(t);
  for (const timeout of [null, 30]) {
    const client = await createConnection(address);
    const [peer] = await server.accept(); // reads nothing: the write cannot complete
    t.teardown(() => peer.close());
    client.settimeout(timeout);
    const g = spawn(() => client.sendall(Buffer.alloc(32 * 1024 * 1024, 'x')));
    await until(() => (client.rawSocket?.writableLength ?? 0) > 0);
    client.close();
    await g.join({ timeout: 5 });
    t.equal(g.dead, true, `timeout ${timeout}: the sendall ended`);
    t.equal(g.successful(), false, 'it did not resolve');
    t.match(g.exception, { code: 'EBADF', errno: 9 }, 'EBADF, as gevent');
  }
});

t.test('shutdown: SHUT_RD keeps what was received (and what comes later), then reads EOF at once; after SHUT_WR a send is EPIPE', async (t) => {
  const [server, address] = await listener(t);
  const client = await createConnection(address);
  t.teardown(() => client.close());
  const [peer] = await server.accept();
  t.teardown(() => peer.close());
  await peer.sendall(Buffer.from('before\n'));
  await until(() => (client.rawSocket?.bytesRead ?? 0) >= 7);
  client.shutdown(SHUT_RD);
  t.equal((await client.recv(100)).toString(), 'before\n', 'the pending bytes, as Linux');
  t.equal((await client.recv(100)).length, 0, 'nothing pending: EOF at once, not a wait');
  await peer.sendall(Buffer.from('after\n'));
  await until(() => (client.rawSocket?.bytesRead ?? 0) >= 13);
  t.equal((await client.recv(100)).toString(), 'after\n', 'bytes that came after SHUT_RD too');
  client.setblocking(false);
  t.equal((await client.recv(100)).length, 0, 'non-blocking: EOF as well, not EAGAIN');
  client.setblocking(true);
  await client.sendall(Buffer.from('still can write'));
  t.equal((await peer.recvExactly(15)).toString(), 'still can write');
  client.shutdown(SHUT_WR);
  t.equal((await peer.recv(100)).length, 0, 'the peer reads EOF');
  await t.rejects(client.sendall(Buffer.from('x')), { code: 'EPIPE', errno: 32, message: '[Errno 32] Broken pipe' });
  await t.rejects(client.send(Buffer.from('x')), { code: 'EPIPE', errno: 32 });
});

t.test('after a send met EPIPE (the peer closed), recv reads EOF, as on Linux; the error is Python\'s', async (t) => {
  const [server, address] = await listener(t);
  const client = await createConnection(address);
  t.teardown(() => client.close());
  const [peer] = await server.accept();
  peer.close();
  let error: unknown;
  // The first sends go (the peer's host answers them with a reset); the one after the reset fails.
  for (let i = 0; i < 500 && error === undefined; i++) {
    error = await failure(client.sendall(Buffer.alloc(1000, 'x')));
    if (error === undefined) await sleep(0.01);
  }
  t.match(error, { code: 'EPIPE', errno: 32, message: '[Errno 32] Broken pipe', syscall: 'write' });
  await t.rejects(client.sendall(Buffer.from('x')), { code: 'EPIPE', errno: 32 }, 'and the next send, as Python');
  t.equal((await client.recv(10)).length, 0, 'recv: EOF, not EPIPE');
});

t.test("errors from the system have Python's positive errno and message, and keep Node's code and address", async (t) => {
  const [server, address] = await listener(t);
  const port = address[1];
  server.close();
  const refused = await failure(createConnection(['127.0.0.1', port]));
  t.type(refused, Error);
  t.match(refused, { code: 'ECONNREFUSED', errno: 111, message: '[Errno 111] Connection refused', syscall: 'connect', address: '127.0.0.1', port });
  t.match((refused as Error).stack, /^Error: \[Errno 111\] Connection refused\n/, 'the stack names the same message');
  const sock = new TcpSocket();
  t.equal(await sock.connectEx(['127.0.0.1', port]), 111, 'connectEx: the positive number');
  sock.close();

  const [taken, takenAddress] = await listener(t);
  t.ok(taken);
  const second = new TcpSocket();
  t.teardown(() => second.close());
  await second.bind(takenAddress);
  await t.rejects(second.listen(), { code: 'EADDRINUSE', errno: 98, message: '[Errno 98] Address already in use', syscall: 'listen' });

  const [resetter, resetAddress] = await listener(t);
  const client = await createConnection(resetAddress);
  t.teardown(() => client.close());
  const [conn] = await resetter.accept();
  conn.rawSocket!.resetAndDestroy();
  conn.close();
  await t.rejects(client.recv(10), { code: 'ECONNRESET', errno: 104, message: '[Errno 104] Connection reset by peer' });
});

t.test('send on an unconnected or listening socket is EPIPE, as Python; getsockname on a closed one is EBADF', async (t) => {
  const [server] = await listener(t);
  const fresh = new TcpSocket();
  t.teardown(() => fresh.close());
  for (const [name, sock] of [['unconnected', fresh], ['listening', server]] as const) {
    await t.rejects(sock.send(Buffer.from('a')), { code: 'EPIPE', errno: 32, message: '[Errno 32] Broken pipe' }, `${name} send`);
    await t.rejects(sock.sendall(Buffer.from('a')), { code: 'EPIPE', errno: 32 }, `${name} sendall`);
    await t.rejects(sock.send(Buffer.alloc(0)), { code: 'EPIPE', errno: 32 }, `${name} send of nothing`);
    await t.rejects(sock.recv(1), { code: 'ENOTCONN', errno: 107 }, `${name} recv stays ENOTCONN`);
  }
  const closed = new TcpSocket();
  closed.close();
  t.throws(() => closed.getsockname(), { code: 'EBADF', errno: 9 });
  await t.rejects(closed.send(Buffer.from('a')), { code: 'EBADF', errno: 9 }, 'closed: EBADF before EPIPE');
});

t.test('a sendall that times out has sent a prefix, not everything: the rest is dropped and the socket goes on', async (t) => {
  const [server, address] = await listener(t);
  const client = await createConnection(address);
  t.teardown(() => client.close());
  const [peer] = await server.accept();
  t.teardown(() => peer.close());
  const size = 32 * 1024 * 1024;
  client.settimeout(0.1);
  await t.rejects(client.sendall(Buffer.alloc(size, 'x')), SocketTimeout, 'the peer reads nothing: it times out');
  const reading = spawn(async () => {
    const parts: Buffer[] = [];
    for (let chunk = await peer.recv(1 << 20); chunk.length > 0; chunk = await peer.recv(1 << 20)) parts.push(chunk);
    return Buffer.concat(parts);
  });
  client.settimeout(null);
  await client.sendall(Buffer.from('MARK'));
  client.shutdown(SHUT_WR);
  const got = await reading;
  t.ok(got.length > 4 && got.length < size, `the peer got a prefix (${got.length - 4} of ${size} bytes), as from Python`);
  t.equal(got.subarray(-4).toString(), 'MARK', 'then what the next call sent');
  t.equal(got.subarray(0, -4).indexOf('M'), -1, 'the prefix is the timed-out call\'s bytes only');
});

t.test('listen called again while the first call is on its way joins it: one server, nothing left after close', async (t) => {
  const s = new TcpSocket();
  await s.bind(['127.0.0.1', 0]);
  const first = s.listen(5);
  await s.listen(5);
  await first;
  const port = s.getsockname()[1];
  const client = await createConnection(['127.0.0.1', port]);
  const [conn] = await s.accept();
  conn.close();
  client.close();
  s.close();
  await until(() => !process.getActiveResourcesInfo().includes('TCPServerWrap'));
  t.pass('no listening server is left');
});
