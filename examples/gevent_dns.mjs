// The chapter's gevent program (11.1.4): three lookups at once in greenlets, joinAll with a
// 5-second timeout, then each greenlet's value — None (here: null) for the one not done in time.
//
//   import gevent
//   from gevent import socket
//   hosts = ['www.crappytaxidermy.com', 'www.walterpottertaxidermy.com', 'www.antique-taxidermy.com']
//   jobs = [gevent.spawn(gevent.socket.gethostbyname, host) for host in hosts]
//   gevent.joinall(jobs, timeout=5)
//   for job in jobs:
//       print(job.value)
//
// This example talks to nobody outside 127.0.0.0/8: it starts nodevent's embedded test DNS server
// on a loopback port, serves the three names with loopback addresses (127.66.6.44 stands for the
// chapter's 66.6.44.4, 127.27.172.75 for 104.27.172.75), and tells it never to answer the third
// one — the chapter's "None" came from a server that was too slow; here that is reproduced on
// purpose. `dns.setServers()` points Node's c-ares (which nodevent's default resolver uses) at it.
//
//   node examples/gevent_dns.mjs [--scale 0.1]     (--scale shortens the 5 s timeout)
import dns from 'node:dns';
import { parseArgs } from 'node:util';
import { joinAll, killAll, spawn } from 'nodevent';
import { gethostbyname } from 'nodevent/net';
import { startDnsServer } from 'nodevent/testing';

const { values } = parseArgs({ options: { scale: { type: 'string', default: '1' } } });
const scale = Number(values.scale);
if (!(scale > 0)) throw new RangeError(`--scale must be a positive number, got ${values.scale}`);

const server = await startDnsServer({
  records: {
    'www.crappytaxidermy.com': { A: ['127.66.6.44'] },
    'www.walterpottertaxidermy.com': { A: ['127.27.172.75'] },
    'www.antique-taxidermy.com': { A: ['127.0.0.3'] },
  },
  neverAnswer: ['www.antique-taxidermy.com'],
});
dns.setServers([`127.0.0.1:${server.port}`]);

const hosts = ['www.crappytaxidermy.com', 'www.walterpottertaxidermy.com', 'www.antique-taxidermy.com'];
const jobs = hosts.map((host) => spawn(gethostbyname, host));
await joinAll(jobs, { timeout: 5 * scale });
for (const job of jobs) {
  console.log(job.value); // null while the greenlet is not done, as gevent's None
}

// gevent would leave the third lookup running in the background. Killing its greenlet cancels
// the DNS question at once (nothing keeps the program waiting for the server).
await killAll(jobs);
await server.close();
