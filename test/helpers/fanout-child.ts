// A fan-out through the system's resolv.conf: patchAll(), then dns.promises.lookup of N names at
// once (argv), as plain Node code would. Prints how many resolved and how long it took.
import dns from 'node:dns';
import { patchAll } from '../../src/patch/index.js';

patchAll();
const n = Number(process.argv[2]);
const start = performance.now();
const results = await Promise.allSettled(Array.from({ length: n }, (_, i) => dns.promises.lookup(`m${i}.mass.test`, { family: 4 })));
const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
const first = results[300] as PromiseFulfilledResult<dns.LookupAddress> | undefined;
console.log(JSON.stringify({ resolved: n - failed.length, failures: failed.slice(0, 3).map((f) => String(f.reason)), ms: performance.now() - start, sample: first?.value, at: Date.now() }));
