// Green socket waits after a kill follow the runtime's rule for its own waits (docs/runtime.md,
// "Scopes"): a greenlet that caught its kill and carries on waits like code outside any greenlet,
// and a kill that reached nothing the body awaited rejects only the first wait after it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { GreenletExit, sleep, spawn, type Greenlet } from '../src/runtime/index.js';
import { until } from './helpers/servers.js';
import { SOCK_STREAM, TcpSocket, UdpSocket, createConnection, getaddrinfo, setHostsFile, socket, type Address } from '../src/net/index.js';

// Enough laps that a loop rejected at once on every call (the old behaviour: it spun the CPU and
// starved the event loop) ends on its own and fails the assertions instead of hanging the file.
const LAPS = 1000;

/** A connected pair on loopback made outside every greenlet: no kill closes it. */
async function pair(t: Test): Promise<[TcpSocket, TcpSocket]> {
  const server = socket();
  await server.bind(['127.0.0.1', 0]);
  await server.listen(5);
  const accepting = server.accept();
  const client = await createConnection(server.getsockname());
  const [peer] = await accepting;
  server.close();
  t.teardown(() => {
    client.close();
    peer.close();
  });
  return [client, peer];
}

/**
 * Spawns a greenlet that catches its kill and then runs `body`; resolves once it was killed.
 * Wrapped in an object: a Greenlet is awaitable, so returning it would wait for its result.
 */
async function spawnCatchingKill(body: () => Promise<void>): Promise<{ g: Greenlet }> {
  let caught = false;
  const g = spawn(async () => {
    try {
      await sleep(60);
    } catch {
      caught = true;
      await body();
    }
  });
  await sleep(0);
  await g.kill();
  await until(() => caught);
  return { g };
}

/**
 * In a greenlet that caught its kill, reads messages with `read` until 'stop' (or EOF), at most
 * LAPS calls; sends each of the messages once the one before arrived.
 */
async function readAfterKill(read: () => Promise<string>, send: (message: string) => Promise<unknown>) {
  const state = { calls: 0, got: [] as string[], errors: [] as unknown[] };
  const { g } = await spawnCatchingKill(async () => {
    while (state.calls < LAPS) {
      state.calls++;
      try {
        const data = await read();
        state.got.push(data);
        if (data === 'stop' || data === '') break;
      } catch (error) {
        state.errors.push(error);
      }
    }
  });
  for (const [i, message] of ['one', 'stop'].entries()) {
    await send(message);
    // Waits for the state, or for the loop to end on its own when every call rejects at once.
    await until(() => state.got.length > i || state.calls >= LAPS);
  }
  return { g, ...state };
}

t.test('a greenlet that catches its kill and loops on recv() waits for data: no spin, nothing lost', async (t) => {
  const [client, peer] = await pair(t);
  const { g, got, errors, calls } = await readAfterKill(
    async () => (await client.recv(100)).toString(),
    (message) => peer.sendall(Buffer.from(message)),
  );
  t.same(errors, [], 'no recv was rejected again after the kill');
  t.same(got, ['one', 'stop'], 'every message came, in order');
  t.equal(calls, 2, 'one recv per message: the loop waited in recv');
  t.type(g.value, GreenletExit);
  t.equal(client.closed, false, 'a socket the greenlet did not own survives its kill');
});

t.test('a kill that reached nothing the body awaited rejects the first recv after it, once, consuming nothing', async (t) => {
  const [client, peer] = await pair(t);
  let release!: () => void;
  const unowned = new Promise<void>((resolve) => (release = resolve));
  const log: unknown[] = [];
  let ended = false;
  const g = spawn(async () => {
    await unowned; // nobody owns this promise: the kill cannot reach it
    try {
      for (let i = 0; i < 2; i++) {
        try {
          log.push((await client.recv(100)).toString());
        } catch (error) {
          log.push(error);
        }
      }
    } finally {
      ended = true;
    }
  });
  await sleep(0);
  await g.kill();
  await peer.sendall(Buffer.from('hello'));
  release();
  await until(() => ended);
  t.type(log[0], GreenletExit, 'the first wait after the kill receives it');
  t.equal(log[0], g.value);
  t.equal(log[1], 'hello', 'the rejected recv read nothing; the next one waits and gets the data');
});

t.test('after a caught kill, accept() waits for a connection and a new connection belongs to nobody', async (t) => {
  const server = socket();
  await server.bind(['127.0.0.1', 0]);
  await server.listen(5);
  t.teardown(() => server.close());
  const address: Address = server.getsockname();
  let accepted: TcpSocket | undefined;
  let outbound: TcpSocket | undefined;
  const errors: unknown[] = [];
  await spawnCatchingKill(async () => {
    try {
      [accepted] = await server.accept();
      outbound = await createConnection(address); // made in the dead greenlet: owned by nobody
      await outbound.sendall(Buffer.from('late'));
    } catch (error) {
      errors.push(error);
    }
  });
  const first = await createConnection(address);
  t.teardown(() => first.close());
  await until(() => outbound !== undefined || errors.length > 0);
  t.same(errors, [], 'accept and connect after the kill were not rejected');
  if (errors.length > 0) return; // nothing will arrive to read below
  const [second] = await server.accept();
  t.teardown(() => second.close());
  t.equal((await second.recvExactly(4)).toString(), 'late', 'the connection made after the kill works');
  t.equal(accepted!.closed, false);
  t.equal(outbound!.closed, false);
  accepted!.close();
  outbound!.close();
});

t.test('a greenlet that catches its kill and loops on a UDP recvfrom() waits for datagrams', async (t) => {
  const receiver = new UdpSocket();
  t.teardown(() => receiver.close());
  await receiver.bind(['127.0.0.1', 0]);
  const sender = new UdpSocket();
  t.teardown(() => sender.close());
  const { got, errors, calls } = await readAfterKill(
    async () => (await receiver.recvfrom(100))[0].toString(),
    (message) => sender.sendto(Buffer.from(message), receiver.getsockname()),
  );
  t.same(errors, [], 'no recvfrom was rejected again after the kill');
  t.same(got, ['one', 'stop']);
  t.equal(calls, 2, 'one recvfrom per datagram');
});

t.test('a kill during recv on the greenlet\'s own socket still rejects with the kill, not a closed socket', async (t) => {
  const server = socket();
  await server.bind(['127.0.0.1', 0]);
  await server.listen(5);
  t.teardown(() => server.close());
  let reason: unknown;
  let mine: TcpSocket | undefined;
  const g = spawn(async () => {
    mine = await createConnection(server.getsockname());
    await mine.recv(10).catch((error: unknown) => { reason = error; });
  });
  const [conn] = await server.accept();
  t.teardown(() => conn.close());
  await until(() => mine !== undefined);
  await g.kill();
  await until(() => reason !== undefined);
  t.type(reason, GreenletExit);
  t.equal(mine!.closed, true, 'the socket it owned closed with it');
  t.equal((await conn.recv(10)).length, 0, 'the peer sees the close');
});

t.test('after a caught kill, createConnection still tries the next address when one refuses', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nodevent-hosts-'));
  const hosts = join(dir, 'hosts');
  // The first address refuses (nothing listens on 127.0.0.1 at that port), the second accepts.
  const server = socket();
  await server.bind(['127.0.0.2', 0]);
  await server.listen(5);
  t.teardown(() => server.close());
  const [, port] = server.getsockname();
  writeFileSync(hosts, '127.0.0.1 two.test\n127.0.0.2 two.test\n');
  setHostsFile(hosts);
  t.teardown(() => {
    setHostsFile(null);
    rmSync(dir, { recursive: true, force: true });
  });
  t.same((await getaddrinfo('two.test', port, { type: SOCK_STREAM })).map((info) => info[4][0]), ['127.0.0.1', '127.0.0.2'], 'the refusing address comes first');
  let result: unknown;
  await spawnCatchingKill(async () => {
    try {
      result = await createConnection(['two.test', port]);
    } catch (error) {
      result = error;
    }
  });
  await until(() => result !== undefined);
  t.type(result, TcpSocket, 'the refusal of the first address did not end the attempts');
  const sock = result as TcpSocket;
  t.same(sock.getpeername(), ['127.0.0.2', port]);
  sock.close();
});
