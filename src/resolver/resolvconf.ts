import { hostname } from 'node:os';

/** Where glibc's stub resolver reads its configuration. */
export const RESOLV_CONF_PATH = '/etc/resolv.conf';
/** Where glibc reads the order of host-name sources. */
export const NSSWITCH_PATH = '/etc/nsswitch.conf';

/** The parts of resolv.conf that change which names are asked. */
export interface ResolvConf {
  /** Search list (`search`, or the last `domain` line), in order; `''` is the root (`search .`). */
  search: string[];
  /** Names with fewer dots than this go through the search list first. @default 1 */
  ndots: number;
  /** Seconds glibc waits for each attempt (`options timeout:n`, max 30). @default 5 */
  timeout: number;
  /** Attempts glibc makes (`options attempts:n`, max 5). @default 2 */
  attempts: number;
  /** `options no-tld-query`: a name without a dot is never asked as it is. */
  noTldQuery: boolean;
  /** `options no-aaaa` (glibc 2.36): no AAAA question is sent. */
  noAaaa: boolean;
}

/** What glibc's resolver reads besides resolv.conf (see `systemResolvContext`). */
export interface ResolvContext {
  /** The host's name: its domain is the search list when resolv.conf gives none. */
  hostname?: string;
  /** `LOCALDOMAIN`: the search list, in place of resolv.conf's. */
  localdomain?: string;
  /** `RES_OPTIONS`: options applied after resolv.conf's. */
  resOptions?: string;
}

/** The process's own `ResolvContext`: os.hostname() and the two environment variables. */
export function systemResolvContext(): ResolvContext {
  return { hostname: hostname(), localdomain: process.env.LOCALDOMAIN, resOptions: process.env.RES_OPTIONS };
}

/**
 * Parses resolv.conf text as glibc's res_init does: a keyword counts only at the start of a line;
 * the last `search`/`domain` line wins (`LOCALDOMAIN` over both, the host name's domain when
 * there is neither); `options ndots:n` (max 15), `timeout:n`, `attempts:n`, `no-tld-query`,
 * `no-aaaa`, then those of `RES_OPTIONS`.
 */
export function parseResolvConf(text: string, context: ResolvContext = {}): ResolvConf {
  const conf: ResolvConf = { search: [], ndots: 1, timeout: 5, attempts: 2, noTldQuery: false, noAaaa: false };
  let searchSet = false;
  for (const raw of text.split('\n')) {
    // res_init matches `keyword` + blank at the very start of the line: an indented line is no line.
    const m = /^(search|domain|options)[ \t](.*)$/.exec(raw.replace(/[#;].*/, ''));
    if (m === null) continue;
    const args = m[2]!.trim().split(/\s+/).filter(Boolean);
    if (m[1] === 'options') applyOptions(conf, args);
    else {
      conf.search = m[1] === 'domain' ? args.slice(0, 1) : args;
      searchSet = true;
    }
  }
  if (context.localdomain !== undefined) conf.search = context.localdomain.trim().split(/\s+/).filter(Boolean);
  else if (!searchSet) {
    const dot = context.hostname?.indexOf('.') ?? -1;
    if (dot !== -1 && dot + 1 < context.hostname!.length) conf.search = [context.hostname!.slice(dot + 1)];
  }
  if (context.resOptions !== undefined) applyOptions(conf, context.resOptions.trim().split(/\s+/).filter(Boolean));
  // `svc.test.` is `svc.test`; `.` is the root, kept: res_search asks the name as it is in its place.
  conf.search = conf.search.map((d) => (d === '.' ? '' : d.replace(/\.$/, '')));
  return conf;
}

function applyOptions(conf: ResolvConf, options: string[]): void {
  for (const option of options) {
    const m = /^(ndots|timeout|attempts):(\d+)/.exec(option);
    if (m !== null) {
      const n = Number(m[2]);
      if (m[1] === 'ndots') conf.ndots = Math.min(n, 15);
      else if (m[1] === 'timeout') conf.timeout = Math.max(1, Math.min(n, 30));
      else conf.attempts = Math.max(1, Math.min(n, 5));
    } else if (option === 'no-tld-query') conf.noTldQuery = true;
    else if (option === 'no-aaaa') conf.noAaaa = true;
  }
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
  // glibc keeps the last `hosts:` line.
  let found: HostsSources = { sources: ['dns', 'files'], hasActions: true };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const m = /^hosts\s*:\s*(.*)$/.exec(line);
    if (m === null) continue;
    const words = m[1]!.replace(/\[[^\]]*\]/g, ' [] ').split(/\s+/).filter(Boolean);
    // `mdns4_minimal [NOTFOUND=return]` (Ubuntu's default) only decides `.local` names, which
    // nodevent leaves to getaddrinfo anyway; any other action makes every lookup go there.
    const hasActions = words.some((w, i) => w === '[]' && !/^mdns\d?_minimal$/.test(words[i - 1] ?? ''));
    found = { sources: words.filter((w) => w !== '[]'), hasActions };
  }
  return found;
}
