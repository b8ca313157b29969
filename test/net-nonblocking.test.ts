// Non-blocking green sockets (timeout 0), checked against Python's answers on Linux loopback: a call
// that rejects has done nothing, one that resolves has done its work (so a retry never sends twice),
// and a non-blocking connect goes on in the background after EINPROGRESS.
import dgram from 'node:dgram';
import { constants } from 'node:os';
import t, { type Test } from 'tap';
import { GreenletExit, spawn } from '../src/runtime/index.js';
import { until } from './helpers/servers.js';
import { BlockingIOError, SHUT_WR, TcpSocket, UdpSocket, socket, type Address } from '../src/net/index.js';

const { EAGAIN, EALREADY, EINPROGRESS, EISCONN, EPIPE } = constants.errno;

/** A listening green socket on loopback, closed when the test ends. */
async function listener(t: Test): Promise<[TcpSocket, Address]> {
  const server = socket();
  await server.bind(['127.0.0.1', 0]);
  await server.listen(5);
  t.teardown(() => server.close());
  return [server, server.getsockname()];
}

/** A TCP socket closed when the test ends. */
function tcp(t: Test): TcpSocket {
  const sock = new TcpSocket();
  t.teardown(() => sock.close());
  return sock;
}

/** A loopback port nobody listens on: a listener closed at once leaves it free. */
async function refusingPort(): Promise<number> {
  const probe = socket();
  await probe.bind(['127.0.0.1', 0]);
  await probe.listen();
  const port = probe.getsockname()[1];
  probe.close();
  return port;
}

/** Everything `sock` receives until EOF (a blocking socket). */
async function readAll(sock: TcpSocket): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let chunk = await sock.recv(65536); chunk.length > 0; chunk = await sock.recv(65536)) parts.push(chunk);
  return Buffer.concat(parts);
}

/** True once `sock` has a peer. */
function connected(sock: TcpSocket): boolean {
  try {
    sock.getpeername();
    return true;
  } catch {
    return false;
  }
}

/** The error `promise` rejects with (undefined when it resolves). */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => undefined, (error: unknown) => error);
}

t.test('non-blocking sendall and send resolve once the bytes are queued, and the peer gets them once', async (t) => {
  const [server, address] = await listener(t);
  const client = tcp(t);
  await client.connect(address);
  const [conn] = await server.accept();
  t.teardown(() => conn.close());
  client.setblocking(false);
  t.equal(await client.sendall(Buffer.from('hello')), undefined, 'sendall resolves: the bytes were taken');
  t.equal(await client.send(Buffer.from('world')), 5, 'send answers how many bytes were taken');
  t.equal(await client.send(Buffer.alloc(0)), 0);
  client.shutdown(SHUT_WR);
  t.equal((await readAll(conn)).toString(), 'helloworld', "each call's bytes, once");
  await t.rejects(client.sendall(Buffer.from('late')), { code: 'EPIPE', errno: EPIPE }, 'after SHUT_WR: EPIPE, as Python');
});

t.test('a non-blocking send into a full buffer rejects with BlockingIOError, queues nothing, and a retry sends each byte once', async (t) => {
  const [server, address] = await listener(t);
  const client = tcp(t);
  await client.connect(address);
  const [conn] = await server.accept(); // it reads nothing until told to: the buffers fill up
  t.teardown(() => conn.close());
  const raw = client.rawSocket!;
  client.setblocking(false);
  const sent: Buffer[] = [];
  let refused: unknown;
  let pending = Buffer.alloc(0);
  for (let i = 0; refused === undefined; i++) {
    const chunk = Buffer.alloc(64 * 1024, i % 256);
    try {
      const n = await client.send(chunk);
      if (n !== chunk.length) throw new Error(`send took ${n} of ${chunk.length} bytes`);
      sent.push(chunk);
    } catch (error) {
      refused = error;
      pending = chunk;
    }
  }
  t.type(refused, BlockingIOError, 'refused once the buffer was full');
  t.match(refused, { code: 'EAGAIN', errno: EAGAIN, message: '[Errno 11] Resource temporarily unavailable' });
  t.ok(sent.length > 0, 'the calls before were taken');
  t.equal(raw.writableNeedDrain, true, "Node's write buffer is above its high-water mark");
  const queued = raw.writableLength;
  await t.rejects(client.send(pending), BlockingIOError);
  await t.rejects(client.sendall(pending), { name: 'BlockingIOError', errno: EAGAIN });
  t.equal(raw.writableLength, queued, 'the refused calls queued nothing');
  // The peer starts reading; the caller retries, as Python code does, once there is room.
  const reading = spawn(() => readAll(conn));
  let retries = 0;
  for (;;) {
    try {
      await client.sendall(pending);
      break;
    } catch (error) {
      if (!(error instanceof BlockingIOError)) throw error;
      retries++;
      await until(() => !raw.writableNeedDrain);
    }
  }
  sent.push(pending);
  client.shutdown(SHUT_WR);
  const got = await reading;
  const expected = Buffer.concat(sent);
  t.equal(got.length, expected.length, `the peer got the bytes of the ${sent.length} calls that resolved (${retries} refused retries)`);
  t.ok(got.equals(expected), 'each chunk once, in order');
});

t.test('a non-blocking connect rejects with EINPROGRESS and goes on: the server accepts it, getpeername works once made', async (t) => {
  const [server, address] = await listener(t);
  const client = tcp(t);
  client.setblocking(false);
  // Collected in one turn: the connection cannot be made before the event loop polls.
  const started = await failure(client.connect(address));
  const again = await failure(client.connect(address));
  const reading = await failure(client.recv(1));
  const sending = await failure(client.send(Buffer.from('x')));
  let peerError: unknown;
  try {
    client.getpeername();
  } catch (error) {
    peerError = error;
  }
  t.type(started, BlockingIOError);
  t.match(started, { code: 'EINPROGRESS', errno: EINPROGRESS, message: '[Errno 115] Operation now in progress' });
  t.type(again, BlockingIOError);
  t.match(again, { code: 'EALREADY', errno: EALREADY, message: '[Errno 114] Operation already in progress' }, 'connect again while in progress');
  t.match(reading, { name: 'BlockingIOError', errno: EAGAIN }, 'recv while connecting: EAGAIN, as Linux');
  t.match(sending, { name: 'BlockingIOError', errno: EAGAIN }, 'send while connecting: EAGAIN');
  t.match(peerError, { code: 'ENOTCONN' }, 'no peer yet');
  const [conn, from] = await server.accept();
  t.teardown(() => conn.close());
  await until(() => connected(client));
  t.same(client.getpeername(), address, 'connected in the background');
  t.same(from, client.getsockname(), 'the server accepted this connection');
  t.equal(await client.connect(address), undefined, 'the first connect after it was made resolves, as Linux');
  await t.rejects(client.connect(address), { code: 'EISCONN' }, 'then EISCONN');
  await client.sendall(Buffer.from('ping'));
  t.equal((await conn.recvExactly(4)).toString(), 'ping');
});

t.test('connectEx on a non-blocking socket: EINPROGRESS (115), EALREADY (114), 0 once made, then EISCONN (106)', async (t) => {
  const [server, address] = await listener(t);
  const client = tcp(t);
  client.setblocking(false);
  t.equal(await client.connectEx(address), EINPROGRESS);
  t.equal(await client.connectEx(address), EALREADY);
  const [conn] = await server.accept();
  t.teardown(() => conn.close());
  await until(() => connected(client));
  t.equal(await client.connectEx(address), 0);
  t.equal(await client.connectEx(address), EISCONN);
});

t.test('a blocking call waits for the connect in progress; a refusal is reported once, and the socket may connect again', async (t) => {
  const port = await refusingPort();
  const client = tcp(t);
  client.setblocking(false);
  await t.rejects(client.connect(['127.0.0.1', port]), { errno: EINPROGRESS });
  client.setblocking(true);
  await t.rejects(client.connect(['127.0.0.1', port]), { code: 'ECONNREFUSED' }, 'the blocking connect waited for the attempt and reports its refusal');
  t.throws(() => client.getpeername(), { code: 'ENOTCONN' });
  const [server, address] = await listener(t);
  await client.connect(address);
  t.same(client.getpeername(), address, 'unconnected again after the refusal: a new connect works');
  const [first] = await server.accept();
  first.close();

  const waiting = tcp(t);
  waiting.setblocking(false);
  await t.rejects(waiting.connect(address), { errno: EINPROGRESS });
  waiting.settimeout(5);
  await waiting.connect(address);
  t.same(waiting.getpeername(), address, 'a connect with a timeout waited for the one in progress');
  const [second] = await server.accept();
  second.close();

  const reader = tcp(t);
  reader.setblocking(false);
  await t.rejects(reader.connect(['127.0.0.1', port]), { errno: EINPROGRESS });
  reader.setblocking(true);
  await t.rejects(reader.recv(1), { code: 'ECONNREFUSED' }, 'a recv reports the refusal, as Linux');
  await t.rejects(reader.recv(1), { code: 'ENOTCONN' }, 'once');
});

t.test('a kill while a recv waits for a non-blocking connect closes the socket and rejects the recv with the kill', async (t) => {
  const [server, address] = await listener(t);
  let reason: unknown;
  let mine: TcpSocket | undefined;
  let receiving = false;
  const g = spawn(async () => {
    mine = new TcpSocket();
    mine.setblocking(false);
    await mine.connect(address).catch((error: unknown) => {
      if (!(error instanceof BlockingIOError)) throw error;
    });
    mine.setblocking(true);
    receiving = true;
    await mine.recv(10).catch((error: unknown) => {
      reason = error;
      throw error;
    });
  });
  const [conn] = await server.accept();
  t.teardown(() => conn.close());
  await until(() => receiving);
  await g.kill();
  t.type(g.value, GreenletExit);
  t.type(reason, GreenletExit, 'the pending recv rejected with the kill reason');
  t.equal(mine!.closed, true, 'the socket the greenlet owned closed with it');
  t.equal((await conn.recv(10)).length, 0, 'the peer reads EOF');
});

t.test('non-blocking listen and accept: listen completes; accept rejects with BlockingIOError until a connection is there', async (t) => {
  const server = socket();
  t.teardown(() => server.close());
  server.setblocking(false);
  await server.bind(['127.0.0.1', 0]);
  await server.listen(5);
  const address = server.getsockname();
  t.not(address[1], 0, 'listening');
  await t.rejects(server.accept(), { name: 'BlockingIOError', errno: EAGAIN });
  const client = tcp(t);
  await client.connect(address);
  await until(() => server.pendingCount > 0);
  const [conn] = await server.accept();
  conn.close();
});

t.test('non-blocking UDP: bind and connect complete, sendto and send resolve with the length, each datagram arrives once', async (t) => {
  const receiver = new UdpSocket({ timeout: 0 });
  t.teardown(() => receiver.close());
  await receiver.bind(['127.0.0.1', 0]);
  t.not(receiver.getsockname()[1], 0, 'bound');
  await t.rejects(receiver.recvfrom(10), { name: 'BlockingIOError', errno: EAGAIN }, 'nothing there yet');
  const sender = new UdpSocket();
  t.teardown(() => sender.close());
  sender.setblocking(false);
  t.equal(await sender.sendto(Buffer.from('one'), receiver.getsockname()), 3, 'unbound: bound by the send, as Python');
  await sender.connect(receiver.getsockname());
  t.same(sender.getpeername(), receiver.getsockname());
  t.equal(await sender.send(Buffer.from('two')), 3);
  await t.rejects(sender.send(Buffer.alloc(70000)), { code: 'EMSGSIZE' }, "the kernel's refusal (Python: [Errno 90] Message too long); nothing sent");
  t.equal(await sender.send(Buffer.from('end')), 3);
  receiver.setblocking(true);
  const got: string[] = [];
  for (let data = Buffer.alloc(0); data.toString() !== 'end'; ) {
    [data] = await receiver.recvfrom(65536);
    got.push(data.length > 16 ? `${data.length} bytes` : data.toString());
  }
  t.same(got, ['one', 'two', 'end'], 'each datagram once, the refused one never');
});

t.test('non-blocking UDP send while Node holds datagrams the kernel refused: BlockingIOError, nothing sent', async (t) => {
  // The kernel's UDP send buffer does not fill on loopback (Python sends 100000 datagrams to a
  // receiver that never reads without an error), so libuv's send queue is made to look held.
  const receiver = new UdpSocket();
  t.teardown(() => receiver.close());
  await receiver.bind(['127.0.0.1', 0]);
  const sender = new UdpSocket();
  t.teardown(() => sender.close());
  await sender.bind(['127.0.0.1', 0]);
  const getSendQueueCount = Object.getOwnPropertyDescriptor(dgram.Socket.prototype, 'getSendQueueCount')!;
  t.teardown(() => Object.defineProperty(dgram.Socket.prototype, 'getSendQueueCount', getSendQueueCount));
  Object.defineProperty(dgram.Socket.prototype, 'getSendQueueCount', { ...getSendQueueCount, value: () => 1 });
  sender.setblocking(false);
  await t.rejects(sender.sendto(Buffer.from('held'), receiver.getsockname()), { name: 'BlockingIOError', errno: EAGAIN });
  await sender.connect(receiver.getsockname());
  await t.rejects(sender.send(Buffer.from('held')), { name: 'BlockingIOError', errno: EAGAIN });
  Object.defineProperty(dgram.Socket.prototype, 'getSendQueueCount', getSendQueueCount);
  t.equal(await sender.send(Buffer.from('sent')), 4, 'sent once the queue is empty');
  t.equal((await receiver.recv(16)).toString(), 'sent', 'the refused datagrams never went');
});
