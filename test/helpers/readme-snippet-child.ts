// The README's first snippet, run as its own program against the test's DNS server (port in
// argv), with the stragglers killed after joinAll's timeout, as gevent's program ends them by
// ending. It prints when joinAll returned; the parent measures how long the process lives after.
import dns from 'node:dns';
import { spawn, joinAll, killAll } from '../../src/index.js';
import { gethostbyname } from '../../src/net/index.js';

dns.setServers([`127.0.0.1:${process.argv[2]}`]);

const jobs = ['www.crappytaxidermy.com', 'www.walterpeck.com'].map((h) => spawn(gethostbyname, h));
await joinAll(jobs, { timeout: 2 });
console.log(JSON.stringify({ joinedAt: Date.now(), values: jobs.map((j) => j.value ?? null) }));
void killAll(jobs);
