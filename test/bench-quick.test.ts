// Runs `npm run bench -- --quick` so the benchmark never rots: every variant must resolve every
// name of the embedded server, on the Node line the suite runs on (`--node current`). Figures are
// not asserted (they belong to bench/, not to tests).
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { netnsUnavailable } from '../src/testing/netns.js';

const dist = new URL('../dist/index.js', import.meta.url);

t.test('the quick benchmark runs every variant and resolves every name', { skip: existsSync(dist) ? false : 'dist/ not built (npm run build)' }, async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'nodevent-bench-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const script = new URL('../bench/index.mjs', import.meta.url).pathname;
  const text = execFileSync(process.execPath, [script, '--quick', '--node', 'current', '--out', out], { encoding: 'utf8', timeout: 240_000, env: { ...process.env, NODE_OPTIONS: '' } });
  t.match(text, /Runtime overhead/);
  const report = JSON.parse(readFileSync(join(out, 'quick.json'), 'utf8'));
  t.same(report.overhead.map((r: { variant: string }) => r.variant), ['raw', 'raw+ALS', 'raw+run', 'nodevent', 'effect']);
  const why = netnsUnavailable();
  if (why) {
    t.equal(report.dns.skipped, why, 'the output says why the DNS variants were not measured');
    return;
  }
  const rows = report.dns.rows as Array<{ variant: string; n: number; round: number; resolved: number; failed: number; error?: string }>;
  t.match(report.dns.server, /dnsmasq|embedded/, 'the report names the DNS server used');
  t.match(report.dns.relay, /^native \(bench\/relay\.c\)$|^Node \(.+\)$/, 'and the relay: the native one, or the Node one and why');
  for (const variant of ['sequential', 'plain', 'workers', 'processes', 'cares', 'greenlets', 'patched']) {
    const row = rows.find((r) => r.variant === variant && r.n === 20);
    t.ok(row, `${variant} measured`);
    t.same({ resolved: row?.resolved, failed: row?.failed, error: row?.error }, { resolved: 20, failed: 0, error: undefined }, variant);
  }
  for (const variant of ['greenlets', 'patched', 'patched-any']) {
    const runs = rows.filter((r) => r.variant === variant && r.n === 200);
    t.equal(runs.length, 2, `${variant}: two rounds at N=200`);
    for (const r of runs) t.match(r, { resolved: 200, failed: 0 }, `${variant} at N=200, round ${r.round + 1}`);
  }
  const summary = report.dns.summary as Array<{ variant: string; n: number; ms: number; min: number; max: number }>;
  const patched = summary.find((r) => r.variant === 'patched' && r.n === 200)!;
  t.ok(patched.min <= patched.ms && patched.ms <= patched.max, 'per-round spread: min ≤ median ≤ max');
  t.ok(existsSync(join(out, 'quick.svg')), 'the chart is drawn');
});
