import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import { spawn, sleep, GreenletExit, outsideScope } from '../src/runtime/index.js';
import { patchAll, unpatchAll, shared } from '../src/patch/index.js';
import { listenLoopback, until, type Teardown } from './helpers/servers.js';

patchAll({ dns: false, timers: true });
t.teardown(unpatchAll);

// /slow never answers; everything else answers at once. Counts connections.
async function server(t: Teardown) {
  const stats = { connections: 0, slow: 0 };
  const srv = http.createServer((req, res) => {
    if (req.url === '/slow') stats.slow++;
    else res.end(req.url);
  });
  srv.keepAliveTimeout = 60_000;
  srv.on('connection', () => stats.connections++);
  return { stats, port: await listenLoopback(t, srv) };
}

function get(agent: http.Agent, port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

t.test('a keep-alive agent created outside greenlets keeps serving after one user is killed', async (t) => {
  const { stats, port } = await server(t);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  t.teardown(() => agent.destroy());
  // Warm the pool from greenlets: these sockets were created while serving greenlets.
  t.same(await Promise.all([1, 2, 3].map((i) => spawn(() => get(agent, port, `/warm${i}`)))), ['/warm1', '/warm2', '/warm3']);
  const warmed = stats.connections;
  const killed = spawn(() => get(agent, port, '/slow'));
  await until(() => stats.slow === 1);
  // The greenlets that opened the pooled sockets are long gone; kill the one mid-request.
  await killed.kill();
  t.ok(killed.value instanceof GreenletExit);
  const results = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => spawn(() => get(agent, port, `/after${i}`))));
  t.same(results, [1, 2, 3, 4, 5, 6].map((i) => `/after${i}`));
  t.ok(stats.connections <= warmed + 2, 'pooled sockets were reused, only the killed one replaced');
  const free = Object.values(agent.freeSockets).flat().length;
  t.ok(free >= 1, 'the agent still holds free sockets');
});

t.test("undici's global pool keeps serving other greenlets after one is killed mid-request", async (t) => {
  const { stats, port } = await server(t);
  const base = `http://127.0.0.1:${port}`;
  const first = await Promise.all([1, 2].map((i) => spawn(async () => (await fetch(`${base}/a${i}`)).text())));
  t.same(first, ['/a1', '/a2']);
  const killed = spawn(() => fetch(`${base}/slow`));
  const alive = spawn(async () => {
    await sleep(0.05);
    return (await fetch(`${base}/b`)).text();
  });
  await until(() => stats.slow === 1);
  await killed.kill();
  t.equal(await alive, '/b');
  const after = await Promise.all([1, 2, 3].map((i) => spawn(async () => (await fetch(`${base}/c${i}`)).text())));
  t.same(after, ['/c1', '/c2', '/c3']);
});

// A line-protocol client: one connection, requests answered in order, a flush batched with
// setImmediate (the kind of timer a shared client sets while serving whoever called it).
class LineClient {
  socket: net.Socket | undefined;
  #pending: ((line: string) => void)[] = [];
  #queue: string[] = [];
  #flushScheduled = false;
  #buffer = '';
  constructor(readonly port: number, eager: boolean) {
    if (eager) this.#open();
  }

  #open(): net.Socket {
    const socket = (this.socket = net.connect(this.port, '127.0.0.1'));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      let at;
      while ((at = this.#buffer.indexOf('\n')) !== -1) {
        const line = this.#buffer.slice(0, at);
        this.#buffer = this.#buffer.slice(at + 1);
        this.#pending.shift()?.(line);
      }
    });
    return socket;
  }

  call(line: string): Promise<string> {
    if (this.socket === undefined) this.#open();
    this.#queue.push(line);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => {
        this.#flushScheduled = false;
        this.socket!.write(this.#queue.map((l) => `${l}\n`).join(''));
        this.#queue = [];
      });
    }
    return new Promise((resolve) => this.#pending.push(resolve));
  }
}

async function lineServer(t: Teardown): Promise<number> {
  const srv = net.createServer((s) => {
    let buffer = '';
    let chain: Promise<void> = Promise.resolve();
    s.setEncoding('utf8');
    s.on('data', (chunk: string) => {
      buffer += chunk;
      let at;
      while ((at = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, at);
        buffer = buffer.slice(at + 1);
        // Answers in order; 'slow' holds the line for 50 ms.
        chain = chain.then(() => (line === 'slow' ? sleep(0.05).then(() => 'slow-done') : `echo ${line}`)).then((reply) => {
          s.write(`${reply}\n`);
        });
      }
    });
  });
  return listenLoopback(t, srv);
}

t.test('a client created and connected outside greenlets survives a kill mid-request', async (t) => {
  const port = await lineServer(t);
  // Timers are patched here: the flush a greenlet schedules would be owned by it. Created outside
  // and wrapped with shared(), the client's calls run outside every scope.
  const client = shared(new LineClient(port, true));
  t.teardown(() => client.socket?.destroy());
  const killed = spawn(() => client.call('slow'));
  const other = spawn(() => client.call('hello'));
  await sleep(0); // both queued: one flush, scheduled while serving `killed`
  await killed.kill();
  t.equal(await other, 'echo hello');
  t.equal(await spawn(() => client.call('again')), 'echo again');
  t.notOk(client.socket!.destroyed);
});

t.test('a lazily connecting client wrapped with shared() is not owned by the greenlet that connected it', async (t) => {
  const port = await lineServer(t);
  const client = shared(new LineClient(port, false));
  t.teardown(() => client.socket?.destroy());
  const first = spawn(async () => {
    const reply = client.call('first');
    await sleep(10);
    return reply;
  });
  await until(() => client.socket !== undefined && client.socket.bytesWritten > 0); // 'first' is on the wire
  await first.kill();
  t.equal(await spawn(() => client.call('second')), 'echo second');
  t.notOk(client.socket!.destroyed);
});

t.test('why timers are opt-in: without shared(), a killed greenlet takes the flush with it', async (t) => {
  const port = await lineServer(t);
  const client = outsideScope(() => new LineClient(port, true));
  t.teardown(() => client.socket?.destroy());
  let otherReply: string | undefined;
  const killed = spawn(() => client.call('one'));
  const other = spawn(async () => (otherReply = await client.call('two')));
  await sleep(0); // both greenlets ran: the flush was set by `killed` and is owned by it
  await killed.kill();
  await sleep(0.1); // an echo takes a millisecond: waits for what must not happen
  t.equal(otherReply, undefined, 'the other greenlet is stuck: its command was never written');
  await other.kill();
});
