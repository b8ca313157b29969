import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Two ways to a private network namespace with our own /etc files: as root, `ip netns` (which
// bind-mounts /etc/netns/NAME/* over /etc); without root, an unprivileged user namespace
// (`unshare --user --map-root-user --net --mount`) in which the files are bind-mounted by hand.

const has = (command: string, args: string[]): boolean => {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

let userns: boolean | undefined;
/** True when this user can make an unprivileged user namespace with its own network and mounts. */
function usernsWorks(): boolean {
  userns ??= has('unshare', ['--user', '--map-root-user', '--net', '--mount', 'true']);
  return userns;
}

/**
 * Why a private network namespace cannot be made here, or null when it can: Linux with iproute2,
 * and root or unprivileged user namespaces (`unshare --user --map-root-user --net --mount`).
 *
 * @example
 * ```ts runnable
 * import { netnsUnavailable } from 'nodevent/testing';
 * const why = netnsUnavailable();
 * if (why) console.log(`skipped: ${why}`);
 * ```
 */
export function netnsUnavailable(): string | null {
  if (process.platform !== 'linux') return 'network namespaces are Linux only';
  if (!has('ip', ['-V'])) return 'the `ip` command (iproute2) is missing';
  if (process.getuid?.() === 0) return null;
  if (usernsWorks()) return null;
  return 'not root, and unprivileged user namespaces are disabled (`unshare --user --map-root-user --net --mount` failed; see sysctl kernel.unprivileged_userns_clone / user.max_user_namespaces)';
}

/** A network namespace made by `createNetns`. */
export interface Netns {
  readonly name: string;
  /** The command prefix that runs a program inside (`ip netns exec NAME`, or an `unshare` one). */
  readonly exec: string[];
  /** How it was made: `ip netns` (root) or an unprivileged user namespace. */
  readonly kind: 'ip-netns' | 'userns';
  /** Deletes the namespace and its files. */
  remove(): void;
}

/**
 * Makes a private network namespace whose /etc files (resolv.conf, hosts, nsswitch.conf, ...) are
 * the given texts, with loopback up. getaddrinfo inside it reads only those files, so a DNS server
 * on the namespace's own 127.0.0.1:53 is the one it asks. As root it is a named `ip netns`;
 * otherwise each `exec` makes a fresh unprivileged user namespace (programs run in one `exec` share
 * it; two `exec`s do not).
 *
 * @example
 * ```ts
 * import { execFileSync } from 'node:child_process';
 * import { createNetns } from 'nodevent/testing';
 * const ns = createNetns('nodevent-demo', { 'resolv.conf': 'nameserver 127.0.0.1\n' });
 * const [command, ...args] = ns.exec;
 * try { execFileSync(command!, [...args, 'node', 'app.js']); } finally { ns.remove(); }
 * ```
 */
export function createNetns(name: string, etc: Record<string, string>): Netns {
  if (process.getuid?.() !== 0) return createUserns(name, etc);
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
  return { name, exec: ['ip', 'netns', 'exec', name], kind: 'ip-netns', remove };
}

function createUserns(name: string, etc: Record<string, string>): Netns {
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  const mounts: string[] = [];
  for (const [file, text] of Object.entries(etc)) {
    if (!/^[\w.-]+$/.test(file)) throw new RangeError(`etc file name ${JSON.stringify(file)} is not a plain file name`);
    writeFileSync(join(dir, file), text);
    // A bind mount needs an existing target; a missing /etc file stays missing.
    mounts.push(`if [ -e /etc/${file} ]; then mount --bind '${join(dir, file)}' /etc/${file}; fi`);
  }
  const script = ['set -e', 'ip link set lo up', ...mounts, 'exec "$@"'].join('\n');
  return {
    name,
    exec: ['unshare', '--user', '--map-root-user', '--net', '--mount', 'sh', '-c', script, 'sh'],
    kind: 'userns',
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
