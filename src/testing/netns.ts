import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';

/**
 * Why a private network namespace cannot be made here, or null when it can (Linux, root, iproute2).
 *
 * @example
 * ```ts
 * import { netnsUnavailable } from 'nodevent/testing';
 * const why = netnsUnavailable();
 * if (why) console.log(`skipped: ${why}`);
 * ```
 */
export function netnsUnavailable(): string | null {
  if (process.platform !== 'linux') return 'network namespaces are Linux only';
  if (process.getuid?.() !== 0) return 'creating a network namespace needs root';
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'the `ip` command (iproute2) is missing';
  }
  return null;
}

/** A network namespace made by `createNetns`. */
export interface Netns {
  readonly name: string;
  /** The command prefix that runs a program inside: `['ip', 'netns', 'exec', name]`. */
  readonly exec: string[];
  /** Deletes the namespace and its /etc/netns folder. */
  remove(): void;
}

/**
 * Makes a private network namespace whose /etc files (resolv.conf, hosts, nsswitch.conf, ...) are
 * the given texts — `ip netns exec` bind-mounts /etc/netns/NAME/* over /etc — with loopback up.
 * getaddrinfo inside it reads only those files, so a DNS server on the namespace's own 127.0.0.1:53
 * is the one it asks.
 *
 * @example
 * ```ts
 * import { createNetns } from 'nodevent/testing';
 * const ns = createNetns('nodevent-demo', { 'resolv.conf': 'nameserver 127.0.0.1\n' });
 * try { execFileSync(ns.exec[0], [...ns.exec.slice(1), 'node', 'app.js']); } finally { ns.remove(); }
 * ```
 */
export function createNetns(name: string, etc: Record<string, string>): Netns {
  const dir = `/etc/netns/${name}`;
  const remove = (): void => {
    try {
      execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    } catch {
      // not there
    }
    rmSync(dir, { recursive: true, force: true });
  };
  remove();
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(etc)) writeFileSync(`${dir}/${file}`, text);
  execFileSync('ip', ['netns', 'add', name]);
  execFileSync('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
  return { name, exec: ['ip', 'netns', 'exec', name], remove };
}
