// The chapter's one-liner (11.1.4):  gevent.socket.gethostbyname("www.crappytaxidermy.com")
//
// Answered by nodevent's embedded test DNS server on a loopback port (nothing leaves
// 127.0.0.0/8); the name is served with the loopback address 127.66.6.44 in place of the
// chapter's 66.6.44.4.
//
//   node examples/gethostbyname.mjs
import dns from 'node:dns';
import { gethostbyname } from 'nodevent/net';
import { startDnsServer } from 'nodevent/testing';

const server = await startDnsServer({ records: { 'www.crappytaxidermy.com': { A: ['127.66.6.44'] } } });
dns.setServers([`127.0.0.1:${server.port}`]);

console.log(`'${await gethostbyname('www.crappytaxidermy.com')}'`);

await server.close();
