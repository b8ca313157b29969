// The README's first snippet, run as its own program, with the stragglers killed after joinAll's
// timeout, as gevent's program ends them by ending. It asks the server of NODEVENT_TEST_DNS_PORT on
// 127.0.0.1 when set, else resolv.conf's. It prints when joinAll returned (`at`); the parent
// measures how long the process lives after that.
import dns from 'node:dns';
import { spawn, joinAll, killAll } from '../../src/index.js';
import { gethostbyname } from '../../src/net/index.js';

if (process.env.NODEVENT_TEST_DNS_PORT) dns.setServers([`127.0.0.1:${process.env.NODEVENT_TEST_DNS_PORT}`]);

const jobs = ['www.crappytaxidermy.com', 'www.walterpeck.com'].map((h) => spawn(gethostbyname, h));
await joinAll(jobs, { timeout: 2 });
console.log(JSON.stringify({ at: Date.now(), values: jobs.map((j) => j.value ?? null) }));
void killAll(jobs);
