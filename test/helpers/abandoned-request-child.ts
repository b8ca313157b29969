// A request whose lookup nobody answers, made in a greenlet that is then killed, beside requests
// to a name answered late: one of them killed too, the other waited for. Run as its own program
// (argv: http or fetch) against the DNS server on 127.0.0.1:NODEVENT_TEST_DNS_PORT. It prints the
// live request's body and when it was done (`at`); the parent measures how long the process lives
// after that: the killed requests' lookups must not hold it.
import dns from 'node:dns';
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { joinAll, killAll, spawn } from '../../src/index.js';
import { patchAll } from '../../src/patch/index.js';

dns.setServers([`127.0.0.1:${process.env.NODEVENT_TEST_DNS_PORT}`]);
patchAll();
const kind = process.argv[2];
const server = http.createServer((_req, res) => res.end('ok')).listen(0, '127.0.0.1');
await once(server, 'listening');
const { port } = server.address() as AddressInfo;

function get(url: string): Promise<string> {
  if (kind === 'fetch') return fetch(url).then((r) => r.text());
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolve(body));
    }).on('error', reject);
  });
}

const killed = [spawn(get, `http://never.test:${port}/`), spawn(get, `http://late.test:${port}/`)];
const live = spawn(get, `http://late.test:${port}/`);
await joinAll(killed, { timeout: 0.1 });
await killAll(killed);
const body = await live.get();
server.closeAllConnections();
server.close();
console.log(JSON.stringify({ at: Date.now(), body, killed: killed.map((g) => (g.value as object | null)?.constructor.name) }));
