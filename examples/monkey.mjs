// The chapter's monkey-patching program (11.1.4):
//
//   import gevent, socket
//   from gevent import monkey; monkey.patch_all()
//   hosts = ['www.crappytaxidermy.com', 'www.walterpottertaxidermy.com', 'www.google.com']
//   jobs = [gevent.spawn(socket.gethostbyname, host) for host in hosts]
//   gevent.joinall(jobs, timeout=5)
//   for job in jobs:
//       print(job.value)
//
// After patchAll(), plain Node code — `dns.lookup` and `net` here, or any library built on them —
// runs cooperatively inside greenlets and is cancellable: a lookup or a socket started in a
// greenlet belongs to it, and a kill or a withTimeout ends it at once.
// The same patch can be preloaded before any module runs (then patchAll() below changes nothing):
//
//   node --import nodevent/register examples/monkey.mjs
//   node examples/monkey.mjs
//
// Nothing leaves 127.0.0.0/8: the names are served by nodevent's embedded test DNS server on a
// loopback port (loopback addresses stand for the chapter's internet ones), and the socket part
// talks to a local server that never answers.
import dns from 'node:dns';
import net from 'node:net';
import { joinAll, spawn, withTimeout, Timeout } from 'nodevent';
import { patchAll } from 'nodevent/patch';
import { startDnsServer } from 'nodevent/testing';

patchAll();

const server = await startDnsServer({
  records: {
    'www.crappytaxidermy.com': { A: ['127.66.6.44'] },
    'www.walterpottertaxidermy.com': { A: ['127.27.172.75'] },
    'www.google.com': { A: ['127.217.161.228'] },
  },
});
dns.setServers([`127.0.0.1:${server.port}`]); // the patched dns.lookup asks these servers

// Plain Node: dns.promises.lookup, as socket.gethostbyname is plain Python.
const gethostbyname = async (host) => (await dns.promises.lookup(host, { family: 4 })).address;

const hosts = ['www.crappytaxidermy.com', 'www.walterpottertaxidermy.com', 'www.google.com'];
const jobs = hosts.map((host) => spawn(gethostbyname, host));
await joinAll(jobs, { timeout: 5 });
for (const job of jobs) {
  console.log(job.value);
}
await server.close();

// Plain `net` code, cancelled: a local server accepts and never answers; the read is inside a
// greenlet under a 0.5 s deadline. When it fires, the socket the greenlet opened is destroyed
// (without patchAll, the socket would stay open and the wait would never end by itself).
let peerClosed;
const closed = new Promise((resolve) => { peerClosed = resolve; });
const silent = net.createServer((peer) => {
  peer.resume();
  peer.on('close', peerClosed);
});
await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve));
let client;
try {
  await spawn(() => withTimeout(0.5, async () => {
    client = net.connect(silent.address().port, '127.0.0.1');
    await new Promise((resolve) => client.once('data', resolve)); // never comes
  }));
} catch (error) {
  if (!(error instanceof Timeout)) throw error;
  console.log(`read cancelled by ${error.name}; socket destroyed: ${client.destroyed}`);
}
await closed;
console.log('the server saw the connection close');
silent.close();
