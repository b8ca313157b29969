// Loopback servers the patch tests (patch-net, patch-http, patch-fetch) run their clients
// against. Each listens on 127.0.0.1 on an ephemeral port and is torn down with the test that
// started it: the connections it still holds are destroyed, the server is closed.
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { sleep } from '../../src/runtime/index.js';

/** What the servers need of a tap test. */
export interface Teardown {
  teardown(fn: () => void): void;
}

/** Polls `fn` every 10 ms until it is true. */
export async function until(fn: () => boolean): Promise<void> {
  while (!fn()) await sleep(0.01);
}

/**
 * Polls `fn` every 10 ms until it is true or `seconds` have passed, and says which. For states that
 * should arrive soon but may not (the assertion that follows reports what was there instead).
 */
export async function eventually(fn: () => boolean | Promise<boolean>, seconds: number): Promise<boolean> {
  const deadline = performance.now() + seconds * 1000;
  while (!(await fn())) {
    if (performance.now() >= deadline) return false;
    await sleep(0.01);
  }
  return true;
}

/**
 * Listens `server` on 127.0.0.1, on an ephemeral port, and returns the port. At `t`'s teardown the
 * connections still open are destroyed and the server is closed.
 */
export async function listenLoopback(t: Teardown, server: net.Server): Promise<number> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return (server.address() as net.AddressInfo).port;
}

/** A TCP server that accepts and never answers; it records each connection and each close. */
export async function silentServer(t: Teardown) {
  const sockets: net.Socket[] = [];
  const closed: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.resume(); // read (and drop) what comes, so the end of the stream is seen
    socket.on('error', () => {});
    socket.on('close', () => closed.push(socket));
  });
  const port = await listenLoopback(t, server);
  return { server, port, sockets, closed };
}

/** An HTTP server that reads the request and never sends headers; it counts requests and closed connections. */
export async function hangingHttpServer(t: Teardown) {
  let requests = 0;
  let closed = 0;
  const server = http.createServer(() => {
    requests++;
  });
  server.on('connection', (socket) => {
    socket.on('close', () => closed++);
  });
  const port = await listenLoopback(t, server);
  return { port, get requests() { return requests; }, get closed() { return closed; } };
}

/** An HTTP server where /slow never answers and /fast answers at once; it counts requests, connections and closes. */
export async function slowHttpServer(t: Teardown) {
  const stats = { slow: 0, fast: 0, connections: 0, closed: 0 };
  const server = http.createServer((req, res) => {
    if (req.url === '/fast') {
      stats.fast++;
      res.end('fast');
    } else stats.slow++;
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (socket) => {
    stats.connections++;
    socket.on('close', () => stats.closed++);
  });
  return { stats, url: `http://127.0.0.1:${await listenLoopback(t, server)}` };
}
