// undici connects for an origin's requests together: a connect begun for one greenlet's request
// may serve another's, and one that fails fails every request queued on it. Run as its own program
// (argv: the case) against the DNS server on 127.0.0.1:NODEVENT_TEST_DNS_PORT, which answers
// late.test after 0.3 s. The global dispatcher has one connection per origin, so every request to
// late.test waits for the same connect. Prints what each request got and when the last ended.
//   together: two greenlets ask; the first is killed while the lookup runs.
//   later:    one greenlet asks and is killed; then another asks (the connect waits with no request
//             for a while, then gets one again).
//   outside:  a greenlet asks and is killed; a request made outside greenlets waits too.
import dns from 'node:dns';
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Agent, setGlobalDispatcher } from 'undici';
import { killAll, sleep, spawn } from '../../src/index.js';
import { patchAll } from '../../src/patch/index.js';

dns.setServers([`127.0.0.1:${process.env.NODEVENT_TEST_DNS_PORT}`]);
setGlobalDispatcher(new Agent({ connections: 1 }));
patchAll();
const server = http.createServer((_req, res) => res.end('ok')).listen(0, '127.0.0.1');
await once(server, 'listening');
const { port } = server.address() as AddressInfo;
const url = `http://late.test:${port}/`;
const get = (): Promise<string> => fetch(url).then((r) => r.text());
const outcome = (p: Promise<string>): Promise<string> => p.then((body) => body, (error: Error) => `${error.name}: ${error.message} (${String((error.cause as Error | undefined)?.message)})`);

const started = Date.now();
const results: Record<string, string> = {};
const kind = process.argv[2];
if (kind === 'together') {
  const killed = spawn(get);
  const live = spawn(get);
  await sleep(0.1);
  await killAll([killed]);
  results.killed = String((killed.value as object | null)?.constructor.name);
  results.live = await outcome(live.get());
} else if (kind === 'later') {
  const killed = spawn(get);
  await sleep(0.1);
  await killAll([killed]);
  results.killed = String((killed.value as object | null)?.constructor.name);
  await sleep(0.05);
  results.live = await outcome(spawn(get).get());
} else if (kind === 'outside') {
  const killed = spawn(get);
  await sleep(0.05);
  const live = outcome(get());
  await sleep(0.05);
  await killAll([killed]);
  results.killed = String((killed.value as object | null)?.constructor.name);
  results.live = await live;
}
server.closeAllConnections();
server.close();
console.log(JSON.stringify({ ...results, ms: Date.now() - started, at: Date.now() }));
