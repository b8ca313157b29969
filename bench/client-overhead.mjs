// What the client instrumentation costs per request: 10,000 trivial requests (pg `select 1`
// through pool.query, ioredis GET, mysql2 `select 1` through pool.query), made from 10 greenlets
// of 1,000 each, with patchAll() (clients patched) against patchAll({ clients: false }). Each
// variant runs in a fresh child process; rounds alternate A/B so a busy machine slows both alike;
// the median round counts, for wall time and for the client process's CPU time. Target: ≤ 5 %.
// Run: npm run build && node bench/client-overhead.mjs [requests] [rounds]
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const isChild = process.argv[2] === '--child';
const REQUESTS = Number(isChild ? process.env.BENCH_N : (process.argv[2] ?? 10_000));
const ROUNDS = Number(process.argv[3] ?? 5);
const GREENLETS = 10;

async function child(client, patched) {
  const { spawn, joinAll } = await import('../dist/index.js');
  const { patchAll } = await import('../dist/patch/index.js');
  patchAll({ dns: false, clients: patched });
  let request;
  let close;
  if (client === 'pg') {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ connectionString: process.env.BENCH_PG, max: GREENLETS });
    request = () => pool.query('select 1');
    close = () => pool.end();
  } else if (client === 'ioredis') {
    const { default: Redis } = await import('ioredis');
    const redis = new Redis(process.env.BENCH_REDIS);
    request = () => redis.get('bench-key');
    close = () => redis.disconnect();
  } else {
    const { default: mysql } = await import('mysql2/promise');
    const pool = mysql.createPool({ uri: process.env.BENCH_MYSQL, connectionLimit: GREENLETS });
    request = () => pool.query('select 1');
    close = () => pool.end();
  }
  const run = async (n) => {
    const per = n / GREENLETS;
    await joinAll(Array.from({ length: GREENLETS }, () => spawn(async () => {
      for (let i = 0; i < per; i++) await request();
    })), { raiseError: true });
  };
  await run(GREENLETS * 50); // warm: connections open, code hot
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  await run(REQUESTS);
  const cpu = process.cpuUsage(cpu0);
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
  await close();
  // CPU time of this process: what the instrumentation adds, less disturbed by a busy machine
  // than wall time (which also waits for the server).
  process.stdout.write(JSON.stringify({ ms: elapsed, cpuMs: (cpu.user + cpu.system) / 1000 }));
  process.exit(0);
}

if (isChild) {
  await child(process.argv[3], process.argv[4] === 'patched');
} else {
  const { startPostgresServer, findPostgres, startRedisServer, findRedisServer, startMariadbServer, findMariadb } = await import('../dist/testing/index.js');
  const stops = [];
  const env = { ...process.env, BENCH_N: String(REQUESTS) };
  const clients = [];
  try {
    if (findPostgres() !== null) {
      const s = await startPostgresServer();
      stops.push(() => s.stop({ kill: true }));
      env.BENCH_PG = s.url;
      clients.push('pg');
    }
    if (findRedisServer() !== null) {
      const s = await startRedisServer();
      stops.push(() => s.stop({ kill: true }));
      env.BENCH_REDIS = s.url;
      clients.push('ioredis');
    }
    if (findMariadb() !== null) {
      const s = await startMariadbServer();
      stops.push(() => s.stop({ kill: true }));
      env.BENCH_MYSQL = `mysql://${s.user}@${s.host}:${s.port}/`;
      clients.push('mysql2');
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const results = [];
    for (const client of clients) {
      const times = { plain: [], patched: [] };
      const cpu = { plain: [], patched: [] };
      for (let round = 0; round < ROUNDS; round++) {
        for (const variant of round % 2 ? ['patched', 'plain'] : ['plain', 'patched']) {
          const out = execFileSync(process.execPath, [self, '--child', client, variant], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
          const { ms, cpuMs } = JSON.parse(out);
          times[variant].push(ms);
          cpu[variant].push(cpuMs);
        }
      }
      const plain = median(times.plain);
      const patched = median(times.patched);
      results.push({
        client, requests: REQUESTS, rounds: ROUNDS,
        plainMs: +plain.toFixed(1), patchedMs: +patched.toFixed(1),
        overheadPercent: +(((patched - plain) / plain) * 100).toFixed(2),
        usPerRequestAdded: +(((patched - plain) * 1000) / REQUESTS).toFixed(2),
        plainCpuMs: +median(cpu.plain).toFixed(1), patchedCpuMs: +median(cpu.patched).toFixed(1),
        cpuOverheadPercent: +(((median(cpu.patched) - median(cpu.plain)) / median(cpu.plain)) * 100).toFixed(2),
        samples: { wallMs: times, cpuMs: cpu },
      });
    }
    console.log(JSON.stringify({ bench: 'client-overhead', node: process.version, results }, null, 2));
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  }
}
