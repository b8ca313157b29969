import t from 'tap';
import { GreenletExit, spawn } from '../src/runtime/index.js';
import { until } from './helpers/servers.js';
import { AF_INET, AF_INET6, SOCK_DGRAM, UdpSocket, socket, timeout as SocketTimeout, type Address } from '../src/net/index.js';

t.test("the chapter's UDP client and server exchange", async (t) => {
  const server = socket(AF_INET, SOCK_DGRAM);
  await server.bind(['localhost', 0]);
  const serverAddress: Address = ['localhost', server.getsockname()[1]];
  const log: string[] = [];
  const serving = spawn(async () => {
    const [data, client] = await server.recvfrom(4096);
    log.push(`server: ${client[0]} said ${data.toString()}`);
    await server.sendto(Buffer.from('Are you talking to me?'), client);
    server.close();
  });
  const calling = spawn(async () => {
    const client = socket(AF_INET, SOCK_DGRAM);
    await client.sendto(Buffer.from('Hey!'), serverAddress);
    const [data, from] = await client.recvfrom(4096);
    log.push(`client: ${from[0]}:${from[1] === serverAddress[1]} said ${data.toString()}`);
    client.close();
  });
  await Promise.all([serving, calling]);
  t.same(log.sort(), ['client: 127.0.0.1:true said Are you talking to me?', 'server: 127.0.0.1 said Hey!']);
});

t.test('IPv6: the sender and the local address are [host, port, flowinfo, scopeId], as in Python', async (t) => {
  const server = new UdpSocket({ family: AF_INET6 });
  t.teardown(() => server.close());
  try {
    await server.bind(['::1', 0]);
  } catch (error) {
    t.comment(`no IPv6 loopback here: ${(error as Error).message}`);
    t.pass('skipped: no IPv6 loopback');
    return;
  }
  const address = server.getsockname();
  t.same(address, ['::1', address[1], 0, 0]);
  const client = new UdpSocket({ family: AF_INET6 });
  t.teardown(() => client.close());
  // The 4-tuple goes back as it came.
  await client.sendto(Buffer.from('v6'), address);
  const [data, from] = await server.recvfrom(16);
  t.equal(data.toString(), 'v6');
  t.same(from, ['::1', client.getsockname()[1], 0, 0]);
  await server.sendto(Buffer.from('back'), from);
  t.equal((await client.recv(16)).toString(), 'back');
  const v4 = new UdpSocket({ family: AF_INET });
  t.teardown(() => v4.close());
  await t.rejects(v4.sendto(Buffer.from('x'), ['127.0.0.1', 9, 0, 0]), { name: 'TypeError', message: /AF_INET socket/ });
});

t.test('a datagram is a message: recvfrom cuts it to bufsize and drops the rest', async (t) => {
  const a = new UdpSocket();
  const b = new UdpSocket();
  t.teardown(() => { a.close(); b.close(); });
  await a.bind(['127.0.0.1', 0]);
  await b.sendto(Buffer.from('0123456789'), a.getsockname());
  await b.sendto(new Uint8Array([65, 66]), a.getsockname());
  const [first] = await a.recvfrom(4);
  t.equal(first.toString(), '0123');
  const [second, from] = await a.recvfrom(100);
  t.equal(second.toString(), 'AB', 'the rest of the first datagram is gone');
  t.same(from, ['127.0.0.1', b.getsockname()[1]]);
  // Into a buffer (Python's recvfrom_into, recv_into): cut the same way, written from its start.
  await b.sendto(Buffer.from('0123456789'), a.getsockname());
  await b.sendto(Buffer.from('ab'), a.getsockname());
  const buffer = Buffer.alloc(6, '.');
  t.same(await a.recvfromInto(buffer, 4), [4, ['127.0.0.1', b.getsockname()[1]]]);
  t.equal(buffer.toString(), '0123..', 'cut to nbytes; the rest discarded');
  t.equal(await a.recvInto(buffer), 2, 'a whole datagram, shorter than the buffer');
  t.equal(buffer.subarray(0, 2).toString(), 'ab');
  await t.rejects(a.recvInto(buffer, 7), { name: 'RangeError', message: /"nbytes"/ });
});

t.test('timeout, kill and bad input', async (t) => {
  const a = new UdpSocket({ timeout: 0.05 });
  t.teardown(() => a.close());
  await a.bind(['127.0.0.1', 0]);
  await t.rejects(a.recvfrom(10), SocketTimeout);
  await t.rejects(a.sendto('Hey!' as unknown as Buffer, a.getsockname()), { name: 'TypeError', message: /bytes, not str/ });
  await t.rejects(a.sendto(Buffer.from('x'), ['127.0.0.1', 65536]), { name: 'RangeError', message: /"address\[1\]"/ });
  t.throws(() => a.settimeout(-0.5), { name: 'RangeError', message: /"timeout"/ });

  let reason: unknown;
  let sock: UdpSocket | undefined;
  let bound = false;
  const g = spawn(async () => {
    sock = new UdpSocket();
    await sock.bind(['127.0.0.1', 0]);
    bound = true; // recvfrom starts in this same turn
    await sock.recvfrom(10).catch((e: unknown) => { reason = e; throw e; });
  });
  await until(() => bound);
  await g.kill();
  t.equal(sock!.closed, true, 'killing the greenlet closed its socket');
  t.type(reason, GreenletExit);
});

t.test('connect on a datagram socket: send goes to the peer, only its datagrams arrive, a refusal is reported once', async (t) => {
  const peer = new UdpSocket();
  const other = new UdpSocket();
  const sock = new UdpSocket();
  t.teardown(() => { peer.close(); other.close(); sock.close(); });
  await peer.bind(['127.0.0.1', 0]);
  await other.bind(['127.0.0.1', 0]);
  await t.rejects(sock.send(Buffer.from('x')), { code: 'EDESTADDRREQ', message: /Destination address required/ }, 'no peer yet');
  t.throws(() => sock.getpeername(), { code: 'ENOTCONN' });
  await sock.connect(['localhost', peer.getsockname()[1]]);
  t.same(sock.getpeername(), ['127.0.0.1', peer.getsockname()[1]]);
  t.equal(sock.getsockname()[0], '127.0.0.1', 'bound by connect: the local address of the route to the peer (Python\'s idiom to find it)');
  t.equal(await sock.send(Buffer.from('hi')), 2);
  const [data, from] = await peer.recvfrom(16);
  t.equal(data.toString(), 'hi');
  t.equal(from[1], sock.getsockname()[1]);
  // The kernel drops what does not come from the peer.
  await other.sendto(Buffer.from('stranger'), ['127.0.0.1', sock.getsockname()[1]]);
  await peer.sendto(Buffer.from('peer'), ['127.0.0.1', sock.getsockname()[1]]);
  t.equal((await sock.recv(16)).toString(), 'peer');
  await t.rejects(sock.sendto(Buffer.from('x'), other.getsockname()), { code: 'EISCONN' });
  // A peer with nobody on its port: the kernel's refusal reaches the next receive, once.
  const gone = new UdpSocket();
  await gone.bind(['127.0.0.1', 0]);
  const port = gone.getsockname()[1];
  gone.close();
  await sock.connect(['127.0.0.1', port]);
  await sock.send(Buffer.from('anyone?'));
  await t.rejects(sock.recv(16), { code: 'ECONNREFUSED', errno: 111, message: '[Errno 111] Connection refused' }, "Python's errno and message");
  await sock.connect(['127.0.0.1', peer.getsockname()[1]]);
  await sock.send(Buffer.from('again'));
  t.equal((await peer.recv(16)).toString(), 'again', 'connected again, to another peer: the socket is still usable');
  await peer.sendto(Buffer.from('back'), ['127.0.0.1', sock.getsockname()[1]]);
  t.equal((await sock.recv(16)).toString(), 'back');
});

t.test("sendall on a datagram socket, as Python's: the datagram to the peer, resolving with nothing", async (t) => {
  const peer = new UdpSocket();
  const sock = new UdpSocket();
  t.teardown(() => { peer.close(); sock.close(); });
  await peer.bind(['127.0.0.1', 0]);
  await t.rejects(sock.sendall(Buffer.from('x')), { code: 'EDESTADDRREQ', errno: 89 }, 'no peer: EDESTADDRREQ, as Python');
  await sock.connect(peer.getsockname());
  t.equal(await sock.sendall(new Uint8Array([104, 105])), undefined);
  const [data, from] = await peer.recvfrom(16);
  t.equal(data.toString(), 'hi');
  t.same(from, sock.getsockname());
});

t.test('getsockname on a closed datagram socket is EBADF, as Python', async (t) => {
  const sock = new UdpSocket();
  await sock.bind(['127.0.0.1', 0]);
  sock.close();
  t.throws(() => sock.getsockname(), { code: 'EBADF', errno: 9 });
  await t.rejects(sock.sendall(Buffer.from('x')), { code: 'EBADF', errno: 9 });
});

t.test("a bind on a taken port rejects with Python's errno and message", async (t) => {
  const first = new UdpSocket();
  const second = new UdpSocket();
  t.teardown(() => { first.close(); second.close(); });
  await first.bind(['127.0.0.1', 0]);
  await t.rejects(second.bind(first.getsockname()), { code: 'EADDRINUSE', errno: 98, message: '[Errno 98] Address already in use', syscall: 'bind' });
});
