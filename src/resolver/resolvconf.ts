/** Where glibc's stub resolver reads its configuration. */
export const RESOLV_CONF_PATH = '/etc/resolv.conf';
/** Where glibc reads the order of host-name sources. */
export const NSSWITCH_PATH = '/etc/nsswitch.conf';

/** The parts of resolv.conf that change which names are asked. */
export interface ResolvConf {
  /** Search list (`search`, or the last `domain` line), in order. */
  search: string[];
  /** Names with fewer dots than this go through the search list first. @default 1 */
  ndots: number;
  /** Seconds glibc waits for each attempt (`options timeout:n`, max 30). @default 5 */
  timeout: number;
  /** Attempts glibc makes (`options attempts:n`, max 5). @default 2 */
  attempts: number;
}

/** Parses resolv.conf text as glibc does: the last `search`/`domain` line wins; `options ndots:n` (max 15), `timeout:n`, `attempts:n`. */
export function parseResolvConf(text: string): ResolvConf {
  let search: string[] = [];
  let ndots = 1;
  let timeout = 5;
  let attempts = 2;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*/, '').trim();
    const [keyword, ...args] = line.split(/\s+/);
    if (keyword === 'search' || keyword === 'domain') {
      search = keyword === 'domain' ? args.slice(0, 1) : args;
    } else if (keyword === 'options') {
      for (const option of args) {
        const m = /^ndots:(\d+)$/.exec(option);
        if (m) ndots = Math.min(Number(m[1]), 15);
        const t = /^timeout:(\d+)$/.exec(option);
        if (t) timeout = Math.max(1, Math.min(Number(t[1]), 30));
        const a = /^attempts:(\d+)$/.exec(option);
        if (a) attempts = Math.max(1, Math.min(Number(a[1]), 5));
      }
    }
  }
  search = search.map((d) => d.replace(/\.$/, '')).filter((d) => d !== '');
  return { search, ndots, timeout, attempts };
}

/**
 * The `hosts:` line of nsswitch.conf: the sources in order, and whether any action (`[...]`)
 * or unknown source makes a lookup through files + DNS unfaithful.
 */
export interface HostsSources {
  sources: string[];
  /** True when there is a `[STATUS=action]` rule: nodevent then leaves every lookup to getaddrinfo. */
  hasActions: boolean;
}

/** Parses nsswitch.conf text; without a `hosts:` line glibc uses `dns [!UNAVAIL=return] files`. */
export function parseNsswitch(text: string): HostsSources {
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const m = /^hosts\s*:\s*(.*)$/.exec(line);
    if (m === null) continue;
    const words = m[1]!.replace(/\[[^\]]*\]/g, ' [] ').split(/\s+/).filter(Boolean);
    // `mdns4_minimal [NOTFOUND=return]` (Ubuntu's default) only decides `.local` names, which
    // nodevent leaves to getaddrinfo anyway; any other action makes every lookup go there.
    const hasActions = words.some((w, i) => w === '[]' && !/^mdns\d?_minimal$/.test(words[i - 1] ?? ''));
    return { sources: words.filter((w) => w !== '[]'), hasActions };
  }
  return { sources: ['dns', 'files'], hasActions: true };
}
