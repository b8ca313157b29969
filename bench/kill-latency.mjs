// Kill-to-cancel latency, seen from the server: a greenlet's request is running on the server, the
// greenlet is killed, and the clock stops when the server no longer runs it. Median of N (100)
// for a pg query (pg_stat_activity), an ioredis BLPOP (INFO blocked_clients), a mysql2 query
// (information_schema.processlist) and, for comparison, an HTTP request (the server's 'close').
// The observers poll back to back, so the figures include up to one poll round trip.
// Run: npm run build && node bench/kill-latency.mjs [N]
import http from 'node:http';
import { once } from 'node:events';
import pg from 'pg';
import Redis from 'ioredis';
import mysql from 'mysql2/promise';
import { spawn, sleep, outsideScope } from '../dist/index.js';
import { patchAll } from '../dist/patch/index.js';
import { startPostgresServer, findPostgres, startRedisServer, findRedisServer, startMariadbServer, findMariadb } from '../dist/testing/index.js';

const N = Number(process.argv[2] ?? 100);
patchAll({ dns: false });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const ms = (ns) => Number(ns) / 1e6;

async function until(fn) {
  while (!(await fn())) await sleep(0.0005);
}

async function measure(name, start, isRunning) {
  const samples = [];
  for (let i = 0; i < N; i++) {
    const g = spawn(start);
    await until(isRunning);
    const t0 = process.hrtime.bigint();
    void g.kill({ block: false });
    await until(async () => !(await isRunning()));
    samples.push(ms(process.hrtime.bigint() - t0));
  }
  return { name, n: N, medianMs: +median(samples).toFixed(3), p90Ms: +pct(samples, 0.9).toFixed(3) };
}

const results = [];
const stops = [];
try {
  {
    let open = 0;
    const server = http.createServer((req, res) => { open++; req.socket.once('close', () => open--); });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    stops.push(() => new Promise((r) => { server.closeAllConnections(); server.close(r); }));
    const url = `http://127.0.0.1:${server.address().port}/`;
    results.push(await measure('http request (fetch)', () => fetch(url), async () => open === 1));
  }
  if (findPostgres() !== null) {
    const server = await startPostgresServer();
    stops.push(() => server.stop({ kill: true }));
    const pool = new pg.Pool({ connectionString: server.url, max: 4 });
    stops.push(() => pool.end());
    await spawn(() => pool.query('select 1'));
    const observer = outsideScope(() => new pg.Client(server.url));
    await outsideScope(() => observer.connect());
    stops.push(() => observer.end());
    const running = async () => (await outsideScope(() => observer.query(
      "select count(*)::int as n from pg_stat_activity where state = 'active' and query = 'select pg_sleep(60)'"))).rows[0].n > 0;
    results.push(await measure('pg query (pool.query, cancel request)', () => pool.query('select pg_sleep(60)'), running));
  } else results.push({ name: 'pg', skipped: 'PostgreSQL not installed' });
  if (findRedisServer() !== null) {
    const server = await startRedisServer();
    stops.push(() => server.stop({ kill: true }));
    const shared = new Redis(server.port, '127.0.0.1');
    const observer = new Redis(server.port, '127.0.0.1');
    stops.push(() => { shared.disconnect(); observer.disconnect(); });
    await shared.ping();
    const running = async () => /blocked_clients:([1-9])/.test(await outsideScope(() => observer.info('clients')));
    results.push(await measure('ioredis BLPOP (CLIENT UNBLOCK)', () => shared.blpop('bench-q', 0), running));
  } else results.push({ name: 'ioredis', skipped: 'redis-server not installed' });
  if (findMariadb() !== null) {
    const server = await startMariadbServer();
    stops.push(() => server.stop({ kill: true }));
    const config = { host: server.host, port: server.port, user: server.user };
    const pool = mysql.createPool({ ...config, connectionLimit: 4 });
    stops.push(() => pool.end());
    await spawn(() => pool.query('select 1'));
    const observer = await outsideScope(() => mysql.createConnection(config));
    stops.push(() => observer.end());
    const running = async () => Number((await outsideScope(() => observer.query(
      "select count(*) as n from information_schema.processlist where command = 'Query' and info = 'select sleep(60)'")))[0][0].n) > 0;
    results.push(await measure('mysql2 query (pool.query, KILL QUERY)', () => pool.query('select sleep(60)'), running));
  } else results.push({ name: 'mysql2', skipped: 'MariaDB not installed' });
} finally {
  for (const stop of stops.reverse()) await Promise.resolve(stop()).catch(() => {});
}
console.log(JSON.stringify({ bench: 'kill-latency', node: process.version, results }, null, 2));
process.exit(0);
