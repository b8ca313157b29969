import { isIP } from 'node:net';
import { WatchedFile } from './resolvconf.js';

/** Where glibc's `files` source reads host names. */
export const HOSTS_PATH = '/etc/hosts';

/**
 * The hosts file, parsed as glibc's `files` source reads it: `address name alias...`, `#` starts a
 * comment, names are case-insensitive, every line that names the host counts (glibc with
 * `multi on`, and always for AF_UNSPEC). glibc reopens the file on every lookup; nodevent re-reads
 * it when its inode, size or mtime changes (checked at most every 100 ms).
 */
export class HostsFile {
  #file: WatchedFile<Map<string, string[]>>;

  constructor(readonly path: string = HOSTS_PATH) {
    this.#file = new WatchedFile(path, parseHosts);
  }

  /** Addresses of `name`, in file order, or undefined when the file does not name it. */
  lookup(name: string): string[] | undefined {
    return this.#file.value.get(name.toLowerCase());
  }
}
/** Parses hosts-file text into name → addresses (file order, duplicates removed). */
export function parseHosts(text: string): Map<string, string[]> {
  const byName = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    const [address, ...names] = line.split(/\s+/);
    // glibc accepts a scoped IPv6 literal only without the zone; skip what inet_pton refuses.
    if (address === undefined || isIP(address) === 0 || names.length === 0) continue;
    for (const name of names) {
      const key = name.toLowerCase();
      const list = byName.get(key);
      if (list === undefined) byName.set(key, [address]);
      else if (!list.includes(address)) list.push(address);
    }
  }
  return byName;
}
