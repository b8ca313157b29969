// Prints the README's DNS table (markdown) from a bench report: node bench/table.mjs [latest.json]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const path = process.argv[2] ?? fileURLToPath(new URL('./results/latest.json', import.meta.url));
const report = JSON.parse(readFileSync(path, 'utf8'));
const summary = report.dns.summary ?? [];
const fmt = (ms) => (ms === undefined ? '—' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);
const what = {
  sequential: '`await dns.promises.lookup` one after another',
  plain: '`Promise.all` of the unpatched `dns.lookup` (getaddrinfo, 4 threads)',
  workers: '4 workers, each a share (same 4-thread pool)',
  processes: '4 processes, each a share',
  cares: "Node's raw c-ares: `new dns.promises.Resolver()`, `resolve4` all at once",
  'cares-any': 'raw c-ares, `resolve4` + `resolve6` per name, all at once',
  'gevent-thread': "gevent 22.10 `spawn(gethostbyname)` + `joinall`, thread resolver",
  'gevent-ares': 'the same, ares resolver (`GEVENT_RESOLVER=ares`)',
  greenlets: '**nodevent** `spawn(gethostbyname, name)` + `joinAll`',
  patched: '**nodevent** `patchAll()`, then `dns.promises.lookup(name, { family: 4 })`',
  'patched-any': '**nodevent** `patchAll()`, then `dns.promises.lookup(name)` (A and AAAA)',
};
// Columns: every N in a fresh process, then N after warm-up batches in the same process.
const columns = [...new Set(summary.map((r) => `${r.warm ?? 0} ${r.n}`))].map((k) => k.split(' ').map(Number)).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
const variants = Object.keys(what).filter((v) => summary.some((r) => r.variant === v));
const title = ([warm, n]) => `N = ${n.toLocaleString('en')}${warm ? `, batch ${warm + 1} of a process` : ''}`;
console.log(`| variant | what it runs | ${columns.map(title).join(' | ')} |`);
console.log(`|---|---|${columns.map(() => '---|').join('')}`);
// The most rounds any variant had in a column: a row with fewer says so (raw c-ares at large N by
// design, a variant whose round took too long to repeat).
const mostRounds = new Map(columns.map(([warm, n]) => [`${warm} ${n}`, Math.max(...summary.filter((r) => r.n === n && (r.warm ?? 0) === warm).map((r) => r.rounds))]));
for (const v of variants) {
  const cells = columns.map(([warm, n]) => {
    const r = summary.find((x) => x.variant === v && x.n === n && (x.warm ?? 0) === warm);
    if (r === undefined) return '';
    if (r.error) return r.error;
    const spread = r.rounds > 1 ? ` (${fmt(r.min)}–${fmt(r.max)})` : '';
    const most = mostRounds.get(`${warm} ${n}`) ?? r.rounds;
    const extra = [r.rounds < most ? `${r.rounds} of ${most} rounds` : '', r.failed ? `${r.failed} failed` : '', r.retransmits ? `${r.retransmits} retr.` : '', r.drops ? `${r.drops} drops` : ''].filter(Boolean).join(', ');
    return `${fmt(r.ms)}${spread}${extra ? `; ${extra}` : ''}`;
  });
  console.log(`| ${v} | ${what[v]} | ${cells.join(' | ')} |`);
}
