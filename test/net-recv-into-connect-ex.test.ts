import t from 'tap';
import { constants } from 'node:os';
import { StreamServer, TcpSocket, createConnection, gaierror } from '../src/net/index.js';

t.test('recvInto fills the buffer from its start, up to nbytes; 0 once the peer closed', async (t) => {
  const server = new StreamServer(['127.0.0.1', 0], async (conn) => {
    await conn.sendall(Buffer.from('hello world'));
  });
  await server.start();
  t.teardown(() => server.stop());
  const sock = await createConnection(['127.0.0.1', server.serverPort]);
  t.teardown(() => sock.close());
  const buffer = Buffer.alloc(8, '.');
  let got = await sock.recvInto(buffer, 5);
  t.equal(got, 5);
  t.equal(buffer.toString(), 'hello...', 'only nbytes written, from the start');
  const rest = new Uint8Array(16);
  got = 0;
  // The rest may come in pieces: read until the peer closes.
  for (let n = await sock.recvInto(rest.subarray(got)); n > 0; n = await sock.recvInto(rest.subarray(got))) got += n;
  t.equal(Buffer.from(rest.subarray(0, got)).toString(), ' world', 'nbytes 0: the buffer\'s length; then 0 at EOF');
  await t.rejects(sock.recvInto(Buffer.alloc(2), 3), { name: 'RangeError', message: /"nbytes"/ }, 'Python: buffer too small for requested bytes');
  await t.rejects(sock.recvInto('x' as unknown as Uint8Array), { name: 'TypeError', message: /"buffer"/ });
  await t.rejects(sock.recvInto(Buffer.alloc(2), -1), { name: 'RangeError', message: /"nbytes"/ });
});

t.test('connectEx answers with an errno, as gevent\'s connect_ex', async (t) => {
  // A port nobody listens on: a listener closed at once leaves it free.
  const probe = new TcpSocket();
  await probe.bind(['127.0.0.1', 0]);
  await probe.listen();
  const port = probe.getsockname()[1];
  probe.close();
  const refused = new TcpSocket();
  t.teardown(() => refused.close());
  t.equal(await refused.connectEx(['127.0.0.1', port]), constants.errno.ECONNREFUSED, 'ECONNREFUSED (111), not an error');
  const server = new StreamServer(['127.0.0.1', 0], async () => {});
  await server.start();
  t.teardown(() => server.stop());
  const ok = new TcpSocket();
  t.teardown(() => ok.close());
  t.equal(await ok.connectEx(['127.0.0.1', server.serverPort]), 0, 'connected: 0');
  t.equal(await ok.connectEx(['127.0.0.1', server.serverPort]), constants.errno.EISCONN, 'connected already: EISCONN');
  const unresolved = new TcpSocket();
  t.teardown(() => unresolved.close());
  await t.rejects(unresolved.connectEx(['', 80]), gaierror, 'a name that does not resolve still rejects (gaierror)');
  await t.rejects(unresolved.connectEx(['127.0.0.1', 99999]), { name: 'RangeError' }, 'so does bad input');
  const closed = new TcpSocket();
  closed.close();
  t.equal(await closed.connectEx(['127.0.0.1', server.serverPort]), constants.errno.EBADF, 'a closed socket: EBADF');
});
