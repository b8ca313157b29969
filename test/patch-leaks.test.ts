import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { spawn, withTimeout, GreenletExit } from '../src/runtime/index.js';
import { patchAll, unpatchAll } from '../src/patch/index.js';
import { eventually, until } from './helpers/servers.js';
import { collectWarnings } from './helpers/warnings.js';

const connect = net.Socket.prototype.connect;
const request = http.request;
patchAll({ timers: true, dns: false });
t.teardown(unpatchAll);

function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

// The issue asks for 10,000; NODEVENT_LEAK_N lowers it for quick local runs.
const N = Number(process.env.NODEVENT_LEAK_N ?? 10_000);

t.test(`${N} greenlets killed in the middle of connections leave nothing behind`, async (t) => {
  const warnings = collectWarnings(t);

  let accepted = 0;
  let closed = 0;
  let requests = 0;
  const server = http.createServer(() => {
    requests++; // never answers
  });
  server.maxHeadersCount = 0;
  server.on('connection', (s) => {
    accepted++;
    s.on('close', () => closed++);
  });
  server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 });
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  const url = `http://127.0.0.1:${port}/`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  const baseline = resources();

  const kinds: Array<() => Promise<unknown>> = [
    async () => {
      const s = net.connect(port, '127.0.0.1');
      await once(s, 'data');
    },
    async () => {
      const req = http.get(url, { agent });
      await once(req, 'response');
    },
    () => fetch(url),
    async () => {
      setTimeout(() => {}, 60_000);
      setInterval(() => {}, 1000);
      const s = net.connect(port, '127.0.0.1');
      await once(s, 'data');
    },
    () => withTimeout(60, () => fetch(url)),
  ];
  const gs = Array.from({ length: N }, (_, i) => spawn(kinds[i % kinds.length]!));
  await until(() => requests + accepted >= N * 0.5);
  await Promise.all(gs.map((g) => g.kill({ block: false })));
  t.ok(gs.every((g) => g.dead && g.value instanceof GreenletExit), 'every greenlet is dead with GreenletExit');
  t.ok(gs.every((g) => g.ownedCount === 0), 'no scope still owns anything');
  // undici's pool connects outside every scope (shared machinery); a fetch killed while its pool
  // connection is still in the listen backlog (10,000 connects overflow a backlog of 4096) leaves
  // that connect to finish on its own, after which undici closes the socket it no longer needs.
  // Wait for the connects in flight to end, then require everything back to baseline.
  await until(() => !('ConnectWrap' in resources()));
  // An idle pooled connection survives any kill. Node 26's keep-alive Agent can be left holding one
  // (opened for a queued request that the kill removed): it must be idle, never in use, and it is
  // closed by destroying the agent, not by waiting for the server's 60 s headers timeout.
  const inUse = (o: NodeJS.ReadOnlyDict<unknown[]>) => Object.values(o).reduce((n, l) => n + (l?.length ?? 0), 0);
  // The agent forgets killed requests and their sockets as their 'close' events arrive.
  await eventually(() => inUse(agent.sockets) === 0 && inUse(agent.requests) === 0, 30);
  t.equal(inUse(agent.sockets), 0, 'the agent has no socket in use');
  t.equal(inUse(agent.requests), 0, 'the agent has no queued request');
  t.equal(agent.listenerCount('free'), 1, "the agent's own listener only");
  agent.destroy();
  await until(() => closed === accepted);
  const same = (a: Record<string, number>, b: Record<string, number>) =>
    Object.keys({ ...a, ...b }).every((k) => a[k] === b[k]);
  await eventually(() => same(resources(), baseline), 5);
  t.same(resources(), baseline, 'active resources back to baseline');
  t.same(warnings.map((w) => w.name), [], 'no warning (MaxListenersExceeded or other)');
  server.close();
});

t.test('unpatchAll restores identity', async (t) => {
  unpatchAll();
  t.equal(net.Socket.prototype.connect, connect);
  t.equal(http.request, request);
});
