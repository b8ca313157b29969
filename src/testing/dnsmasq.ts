import { execFileSync, spawn } from 'node:child_process';
import dns from 'node:dns';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { invalidArgType, outOfRange } from '../internal/validate.js';

/** Options of `startDnsmasq`. */
export interface DnsmasqOptions {
  /** Name → IPv4 addresses it serves (as a hosts file; names are absolute). */
  hosts: Map<string, string[]> | Record<string, string[]>;
  /** Domains it is authoritative for: names below them it does not have are NXDOMAIN, never forwarded. */
  local: string[];
  /** Domains forwarded to another server, `{ 'slow.test': '127.0.0.1#5399' }` (dnsmasq's syntax). */
  forward?: Record<string, string>;
  /** UDP and TCP port on 127.0.0.1. @default 53 */
  port?: number;
}

/** A running dnsmasq started by `startDnsmasq`. */
export interface Dnsmasq {
  /** dnsmasq's version line, e.g. `Dnsmasq version 2.90`. */
  readonly version: string;
  readonly port: number;
  /** Kills it and removes its files. */
  close(): void;
}

/**
 * The path of Debian's dnsmasq, or null when it is not installed (`apt-get install dnsmasq-base`).
 *
 * @example
 * ```ts runnable
 * import { findDnsmasq } from 'nodevent/testing';
 * if (findDnsmasq() === null) console.log('skipped: no dnsmasq');
 * ```
 */
export function findDnsmasq(): { path: string; version: string } | null {
  for (const path of ['/usr/sbin/dnsmasq', 'dnsmasq']) {
    try {
      const version = execFileSync(path, ['--version'], { encoding: 'utf8' }).split('\n')[0]!.replace(/\s+Copyright.*/, '');
      return { path, version };
    } catch {
      // not this one
    }
  }
  return null;
}

/**
 * Starts dnsmasq on 127.0.0.1 in the foreground, authoritative for `local` domains from `hosts`,
 * and resolves once it answers. Meant for a private network namespace (see `createNetns`): it
 * binds port 53 by default and runs as the namespace's root. A real server nobody here wrote, with
 * its own socket buffers and limits, for tests and benchmarks.
 *
 * @example
 * ```ts
 * import { startDnsmasq } from 'nodevent/testing';
 * const server = await startDnsmasq({ hosts: { 'db.test': ['10.0.0.1'] }, local: ['test'], port: 5353 });
 * server.close();
 * ```
 */
export async function startDnsmasq(options: DnsmasqOptions): Promise<Dnsmasq> {
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  const port = options.port ?? 53;
  // dnsmasq takes no ephemeral port: 0 would mean "no DNS", and Node's resolver refuses port 0.
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw outOfRange('options.port', 'an integer from 1 to 65535 (dnsmasq takes no ephemeral port 0)', port);
  const found = findDnsmasq();
  if (found === null) throw new Error('dnsmasq is not installed (Debian: apt-get install dnsmasq-base)');
  const dir = mkdtempSync(join(tmpdir(), 'nodevent-dnsmasq-'));
  const hostsFile = join(dir, 'hosts');
  const lines: string[] = [];
  const entries = options.hosts instanceof Map ? options.hosts : Object.entries(options.hosts);
  for (const [name, addresses] of entries) for (const a of addresses) lines.push(`${a} ${name}`);
  writeFileSync(hostsFile, `${lines.join('\n')}\n`);
  const args = [
    '--keep-in-foreground', '--no-daemon', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', `--addn-hosts=${hostsFile}`,
    '--listen-address=127.0.0.1', '--bind-interfaces', `--port=${port}`, '--user=root', '--pid-file=', '--local-ttl=60',
    '--log-facility=/dev/null', ...options.local.map((d) => `--local=/${d}/`),
    ...Object.entries(options.forward ?? {}).map(([d, to]) => `--server=/${d}/${to}`),
  ];
  const child = spawn(found.path, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const close = (): void => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', close);
  // Ready when it answers (NXDOMAIN counts): until then its port may not be bound.
  const probe = new dns.promises.Resolver({ timeout: 200, tries: 1 });
  probe.setServers([`127.0.0.1:${port}`]);
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) { close(); throw new Error(`dnsmasq exited: ${stderr.trim()}`); }
    try {
      await probe.resolve4(`ready.${options.local[0] ?? 'invalid'}`);
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOTFOUND' || code === 'ENODATA') break;
      if (i > 100) { close(); throw new Error(`dnsmasq does not answer: ${stderr.trim()}`); }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { version: found.version, port, close: () => { process.off('exit', close); close(); } };
}
