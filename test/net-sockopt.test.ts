import t from 'tap';
import type net from 'node:net';
import { spawn } from '../src/runtime/index.js';
import {
  IPPROTO_TCP, SOL_SOCKET, SO_BROADCAST, SO_KEEPALIVE, SO_REUSEADDR, TCP_NODELAY, TcpSocket, UdpSocket,
} from '../src/net/index.js';

/** What Node itself records of a socket's TCP_NODELAY and SO_KEEPALIVE (its own symbols' values). */
function nodeFlags(socket: net.Socket | undefined): { noDelay: unknown; keepAlive: unknown } {
  const flags: Record<string, unknown> = {};
  for (const symbol of Object.getOwnPropertySymbols(socket ?? {})) flags[symbol.description ?? ''] = (socket as unknown as Record<symbol, unknown>)[symbol];
  return { noDelay: flags.kSetNoDelay, keepAlive: flags.kSetKeepAlive };
}

t.test('TCP_NODELAY and SO_KEEPALIVE: set before connecting, applied to the connection; an accepted socket has its listener\'s', async (t) => {
  const server = new TcpSocket();
  t.teardown(() => server.close());
  server.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
  server.setsockopt(SOL_SOCKET, SO_KEEPALIVE, true);
  t.equal(server.getsockopt(SOL_SOCKET, SO_REUSEADDR), 0, 'not listening yet: as set (Python\'s default 0)');
  await server.bind(['127.0.0.1', 0]);
  await server.listen();
  t.equal(server.getsockopt(SOL_SOCKET, SO_REUSEADDR), 1, 'a listener reuses addresses: libuv sets it on every TCP listener');
  const accepting = spawn(() => server.accept());
  const client = new TcpSocket();
  t.teardown(() => client.close());
  client.setsockopt(IPPROTO_TCP, TCP_NODELAY, 5);
  t.equal(client.getsockopt(IPPROTO_TCP, TCP_NODELAY), 1, 'read back as 1, as the kernel gives it');
  t.equal(client.getsockopt(SOL_SOCKET, SO_KEEPALIVE), 0);
  await client.connect(['127.0.0.1', server.getsockname()[1]]);
  t.same(nodeFlags(client.rawSocket), { noDelay: true, keepAlive: false }, 'the connection got TCP_NODELAY');
  const [conn] = await accepting;
  t.teardown(() => conn.close());
  t.equal(conn.getsockopt(IPPROTO_TCP, TCP_NODELAY), 1);
  t.equal(conn.getsockopt(SOL_SOCKET, SO_KEEPALIVE), 1);
  t.same(nodeFlags(conn.rawSocket), { noDelay: true, keepAlive: true }, 'the accepted connection got both');
  // Set on a live connection: applied at once.
  client.setsockopt(SOL_SOCKET, SO_KEEPALIVE, 1);
  client.setsockopt(IPPROTO_TCP, TCP_NODELAY, false);
  t.same(nodeFlags(client.rawSocket), { noDelay: false, keepAlive: true });
  t.equal(client.getsockopt(IPPROTO_TCP, TCP_NODELAY), 0);
});

t.test('SO_BROADCAST: a UDP socket sends to a broadcast address only with it, as the kernel asks', async (t) => {
  // Loopback's own broadcast address: nothing leaves the machine.
  const receiver = new UdpSocket();
  t.teardown(() => receiver.close());
  await receiver.bind(['127.255.255.255', 0]);
  const target: [string, number] = ['127.255.255.255', receiver.getsockname()[1]];
  const plain = new UdpSocket();
  t.teardown(() => plain.close());
  await t.rejects(plain.sendto(Buffer.from('no'), target), { code: 'EACCES' }, 'without SO_BROADCAST the kernel refuses');
  const sender = new UdpSocket();
  t.teardown(() => sender.close());
  sender.setsockopt(SOL_SOCKET, SO_BROADCAST, 1);
  t.equal(sender.getsockopt(SOL_SOCKET, SO_BROADCAST), 1);
  // Unbound: the first sendto binds, then sets the flag, then sends.
  await sender.sendto(Buffer.from('yes'), target);
  const [data] = await receiver.recvfrom(16);
  t.equal(data.toString(), 'yes');
  const bound = new UdpSocket();
  t.teardown(() => bound.close());
  await bound.bind(['127.0.0.1', 0]);
  bound.setsockopt(SOL_SOCKET, SO_BROADCAST, true);
  await bound.sendto(Buffer.from('bound'), target);
  t.equal((await receiver.recv(16)).toString(), 'bound', 'set on a bound socket: at once');
});

t.test('SO_REUSEADDR on UDP: two sockets share a port, as with Python\'s setsockopt before bind', async (t) => {
  const first = new UdpSocket();
  t.teardown(() => first.close());
  first.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
  await first.bind(['127.0.0.1', 0]);
  const port = first.getsockname()[1];
  const without = new UdpSocket();
  t.teardown(() => without.close());
  await t.rejects(without.bind(['127.0.0.1', port]), { code: 'EADDRINUSE' });
  const second = new UdpSocket();
  t.teardown(() => second.close());
  second.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
  await second.bind(['127.0.0.1', port]);
  t.equal(second.getsockname()[1], port);
  t.equal(second.getsockopt(SOL_SOCKET, SO_REUSEADDR), 1);
});

t.test('unknown options and bad values', async (t) => {
  const tcp = new TcpSocket();
  const udp = new UdpSocket();
  t.teardown(() => { tcp.close(); udp.close(); });
  t.throws(() => tcp.setsockopt(SOL_SOCKET, 999, 1), { code: 'ENOPROTOOPT', errno: 92, message: /Protocol not available.*999/ });
  t.throws(() => tcp.getsockopt(SOL_SOCKET, SO_BROADCAST), { code: 'ENOPROTOOPT' }, 'a UDP option on a TCP socket');
  t.throws(() => udp.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1), { code: 'ENOPROTOOPT' });
  t.throws(() => tcp.setsockopt(SOL_SOCKET, SO_KEEPALIVE, 'yes' as unknown as number), { name: 'TypeError', message: /"value"/ });
  t.throws(() => tcp.setsockopt(SOL_SOCKET, SO_KEEPALIVE, 1.5), { name: 'TypeError', message: /"value"/ });
  t.throws(() => tcp.setsockopt('1' as unknown as number, SO_KEEPALIVE, 1), { name: 'TypeError', message: /"level"/ });
  t.throws(() => udp.getsockopt(SOL_SOCKET, null as unknown as number), { name: 'TypeError', message: /"optname"/ });
  tcp.close();
  t.throws(() => tcp.setsockopt(SOL_SOCKET, SO_KEEPALIVE, 1), { code: 'EBADF' }, 'a closed socket');
});
