import { canonicalAddress, ptonFamily } from './addresses.js';
import { WatchedFile } from './watchedfile.js';

/** Where glibc's `files` source reads host names. */
export const HOSTS_PATH = '/etc/hosts';

/** One line of the hosts file: `address official alias...`. */
export interface HostLine {
  address: string;
  official: string;
  aliases: string[];
}

/** The hosts file, indexed for forward lookups, `gethostbyname_ex` and reverse lookups. */
export interface HostsTable {
  /** Lowercased name (official or alias) → its addresses, in file order, one per line (repeats kept). */
  addresses: Map<string, string[]>;
  /** Lowercased name → every line that names it, in file order. */
  lines: Map<string, HostLine[]>;
  /** Address → the first line that gives it. */
  byAddress: Map<string, HostLine>;
}

/**
 * Parses hosts-file text as glibc's `files` source reads it: `#` starts a comment, names are
 * case-insensitive, every line that names a host counts (glibc with `multi on`, and always for
 * AF_UNSPEC), and an address inet_pton refuses (a scoped IPv6 literal) skips the line.
 */
function parseHosts(text: string): HostsTable {
  const table: HostsTable = { addresses: new Map(), lines: new Map(), byAddress: new Map() };
  for (const raw of text.split('\n')) {
    const [written, official, ...aliases] = raw.replace(/#.*/, '').trim().split(/\s+/);
    if (written === undefined || official === undefined || ptonFamily(written) === 0) continue;
    // As getaddrinfo gives it back: `0:0::1` is `::1`.
    const address = canonicalAddress(written);
    const line = { address, official, aliases };
    // Each line counts once per name it gives, even when it repeats an address another line gave:
    // glibc lists 10.0.0.1 twice for a name on two `10.0.0.1` lines.
    for (const key of new Set([official, ...aliases].map((name) => name.toLowerCase()))) {
      const lines = table.lines.get(key);
      if (lines === undefined) table.lines.set(key, [line]);
      else lines.push(line);
      const addresses = table.addresses.get(key);
      if (addresses === undefined) table.addresses.set(key, [address]);
      else addresses.push(address);
    }
    if (!table.byAddress.has(address)) table.byAddress.set(address, line);
  }
  return table;
}

/**
 * The hosts file, re-read when its inode, size or mtime changes (checked at most every 100 ms;
 * glibc reopens it on every lookup).
 */
export class HostsFile {
  #file: WatchedFile<HostsTable>;

  constructor(readonly path: string = HOSTS_PATH) {
    this.#file = new WatchedFile(path, parseHosts);
  }

  /** The parsed file as it is now. */
  get table(): HostsTable {
    return this.#file.value;
  }

  /** Addresses of `name`, in file order, or undefined when the file does not name it. */
  lookup(name: string): string[] | undefined {
    return this.#file.value.addresses.get(name.toLowerCase());
  }
}

const shared = new Map<string, HostsFile>();

/**
 * The process's one `HostsFile` for `path`: the socket module and the patched lookup read the same
 * file, and share its parse and its checks for changes.
 */
export function hostsFile(path: string = HOSTS_PATH): HostsFile {
  let file = shared.get(path);
  if (file === undefined) shared.set(path, (file = new HostsFile(path)));
  return file;
}
