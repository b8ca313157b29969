import dns from 'node:dns';
import { isIP } from 'node:net';
import { hostname as osHostname, networkInterfaces } from 'node:os';
import { getSystemErrorMap } from 'node:util';
import { HostsFile } from './hosts.js';
import { CaresQueries, type QueryOutcome } from './query.js';
import { NSSWITCH_PATH, RESOLV_CONF_PATH, parseNsswitch, parseResolvConf } from './resolvconf.js';
import { WatchedFile } from './watchedfile.js';
import { sortAddresses } from './sort.js';

// getaddrinfo, redone over c-ares: the same sources in nsswitch order (files, then dns with the
// resolv.conf search list and ndots), the same AI_ADDRCONFIG / AI_V4MAPPED rules, glibc's
// address order, and the same errors. Names it cannot answer faithfully go to the original.

/** Parsed lookup arguments, as Node's dns.lookup reads them. */
export interface LookupRequest {
  hostname: string;
  family: 0 | 4 | 6;
  hints: number;
  all: boolean;
  order: 'verbatim' | 'ipv4first' | 'ipv6first';
}

// glibc's h_errno outcomes of a DNS search.
const HOST_NOT_FOUND = 1;
const TRY_AGAIN = 2;
const NO_DATA = 4;
// TRY_AGAIN because of a SERVFAIL answer (not a timeout): glibc reports it as EAI_AGAIN, except
// for family 4 (its gethostbyname3_r path), where it becomes EAI_NONAME.
const SERVFAIL_AGAIN = 5;

const errnoOf = (name: string): number => {
  for (const [errno, [n]] of getSystemErrorMap()) if (n === name) return errno;
  return -3008;
};
const EAI = { NONAME: errnoOf('EAI_NONAME'), NODATA: errnoOf('EAI_NODATA'), AGAIN: errnoOf('EAI_AGAIN') };

/** An error shaped as Node's DNSException for a failed getaddrinfo. */
function getaddrinfoError(errno: number, hostname: string): NodeJS.ErrnoException {
  const code = errno === EAI.NONAME || errno === EAI.NODATA ? 'ENOTFOUND' : errno === EAI.AGAIN ? 'EAI_AGAIN' : 'EAI_FAIL';
  const err: NodeJS.ErrnoException = new Error(`getaddrinfo ${code} ${hostname}`);
  err.errno = errno;
  err.code = code;
  err.syscall = 'getaddrinfo';
  (err as { hostname?: string }).hostname = hostname;
  return err;
}

/** Where the system configuration is read (replaceable for tests). */
export interface SystemFiles {
  hosts?: string;
  resolvConf?: string;
  nsswitch?: string;
}

type Asked = { release(): void };
type AskedList = Asked[] & { cancelled?: boolean };

/** getaddrinfo over c-ares (see the file's head comment). */
export class CaresLookup {
  readonly queries: CaresQueries;
  readonly #hosts: HostsFile;
  readonly #resolvConf: WatchedFile<ReturnType<typeof parseResolvConf>>;
  readonly #nsswitch: WatchedFile<ReturnType<typeof parseNsswitch>>;
  readonly #gaiConf = new WatchedFile('/etc/gai.conf', (t) => t.split('\n').some((l) => l.replace(/#.*/, '').trim() !== ''));
  #ifaces: { at: number; v4: boolean; v6: boolean } = { at: -Infinity, v4: false, v6: false };

  constructor(queries: CaresQueries, files: SystemFiles = {}) {
    this.queries = queries;
    this.#hosts = new HostsFile(files.hosts);
    this.#resolvConf = new WatchedFile(files.resolvConf ?? RESOLV_CONF_PATH, parseResolvConf);
    this.#nsswitch = new WatchedFile(files.nsswitch ?? NSSWITCH_PATH, parseNsswitch);
    // A question is given up as glibc would: after resolv.conf's timeout × attempts.
    queries.patience = () => { const { timeout, attempts } = this.#resolvConf.value; return timeout * attempts * 1000; };
  }

  /**
   * True when c-ares cannot give getaddrinfo's answer for `hostname`: a nsswitch source other than
   * files and dns that may own the name, `[...]` actions, an active /etc/gai.conf, a non-ASCII name.
   */
  needsOriginal(hostname: string): boolean {
    // eslint-disable-next-line no-control-regex
    if (/[^\x00-\x7f]/.test(hostname)) return true;
    if (this.#gaiConf.value) return true;
    const { sources, hasActions } = this.#nsswitch.value;
    if (hasActions) return true;
    const name = hostname.toLowerCase().replace(/\.$/, '');
    for (const source of sources) {
      if (source === 'files' || source === 'dns') continue;
      if (source.startsWith('mdns') && source.endsWith('_minimal')) {
        if (name.endsWith('.local') || /\.(254\.169|[89ab]\.e\.f\.ip6)\.arpa$/.test(name)) return true;
        continue;
      }
      if (source === 'myhostname') {
        const own = osHostname().toLowerCase();
        if (name === own || name === 'localhost' || name.endsWith('.localhost') || name === '_gateway' || name === '_outbound') return true;
        continue;
      }
      return true;
    }
    return false;
  }

  /** The addresses getaddrinfo would give, in its order, Node's `order` applied; throws its errors. */
  async resolve(req: LookupRequest, asked: AskedList = []): Promise<string[]> {
    let family = req.family;
    const v4mapped = family === 6 && (req.hints & dns.V4MAPPED) !== 0;
    const both = v4mapped && (req.hints & dns.ALL) !== 0;
    if ((req.hints & dns.ADDRCONFIG) !== 0) {
      const { v4, v6 } = this.#seen();
      if (family === 0 && (v4 || v6) && v4 !== v6) family = v4 ? 4 : 6;
      else if ((family === 4 && !v4) || (family === 6 && !v6)) throw getaddrinfoError(EAI.NONAME, req.hostname);
    }
    const pick = (list: string[]): string[] => {
      if (family === 0) return list;
      const want = list.filter((a) => isIP(a) === family);
      if (!v4mapped || (want.length > 0 && !both)) return want;
      return [...want, ...list.filter((a) => isIP(a) === 4).map((a) => `::ffff:${a}`)];
    };
    let outcome = HOST_NOT_FOUND;
    for (const source of this.#nsswitch.value.sources) {
      if (source === 'files') {
        const found = pick(this.#hosts.lookup(req.hostname) ?? []);
        if (found.length > 0) return this.#order(found, req.order);
      } else if (source === 'dns') {
        const result = await this.#search(req.hostname, family, v4mapped, both, asked);
        if (Array.isArray(result)) return this.#order(result, req.order);
        outcome = result;
        // glibc: dns "unavailable" (TRY_AGAIN) ends the walk only with [UNAVAIL=return]; NOTFOUND goes on.
      }
    }
    const again = outcome === TRY_AGAIN || (outcome === SERVFAIL_AGAIN && family !== 4);
    throw getaddrinfoError(again ? EAI.AGAIN : outcome === NO_DATA ? EAI.NODATA : EAI.NONAME, req.hostname);
  }

  #order(addresses: string[], order: LookupRequest['order']): string[] | Promise<string[]> {
    // One address has one order: no source-address probe, no promise.
    if (addresses.length < 2) return addresses;
    return sortAddresses(addresses).then((sorted) => {
      if (order === 'verbatim') return sorted;
      const first = order === 'ipv4first' ? 4 : 6;
      return [...sorted.filter((a) => isIP(a) === first), ...sorted.filter((a) => isIP(a) !== first)];
    });
  }

  #seen(): { v4: boolean; v6: boolean } {
    const now = performance.now();
    if (now - this.#ifaces.at > 1000) {
      let v4 = false, v6 = false;
      // glibc's __check_pf: every configured address but 127.0.0.1 and ::1 counts.
      for (const list of Object.values(networkInterfaces())) {
        for (const i of list ?? []) {
          if (i.family === 'IPv4' && i.address !== '127.0.0.1') v4 = true;
          if (i.family === 'IPv6' && i.address !== '::1') v6 = true;
        }
      }
      this.#ifaces = { at: now, v4, v6 };
    }
    return this.#ifaces;
  }

  /** glibc's res_search: the name as is and with each search domain, in ndots order. */
  async #search(hostname: string, family: 0 | 4 | 6, v4mapped: boolean, both: boolean, asked: AskedList): Promise<string[] | number> {
    const { search, ndots } = this.#resolvConf.value;
    const dots = hostname.split('.').length - 1;
    const trailingDot = hostname.endsWith('.');
    let saved = -1;
    let triedAsIs = false;
    let last = HOST_NOT_FOUND;
    if (dots >= ndots || trailingDot) {
      const r = await this.#queryDomain(hostname, family, v4mapped, both, asked);
      if (Array.isArray(r)) return r;
      saved = last = r.servfail ? SERVFAIL_AGAIN : r.herrno;
      triedAsIs = true;
      if (trailingDot) return saved;
    }
    let gotNodata = false, gotServfail = false, rootOnList = false;
    for (const domain of search) {
      if (domain === '' || domain === '.') rootOnList = true;
      const r = await this.#queryDomain(rootOnList ? hostname : `${hostname}.${domain}`, family, v4mapped, both, asked);
      if (Array.isArray(r)) return r;
      last = r.servfail ? SERVFAIL_AGAIN : r.herrno;
      if (r.herrno === NO_DATA) gotNodata = true;
      else if (r.herrno === TRY_AGAIN && r.servfail) gotServfail = true;
      else if (r.herrno !== HOST_NOT_FOUND) break;
    }
    if (!(triedAsIs || rootOnList)) {
      const r = await this.#queryDomain(hostname, family, v4mapped, both, asked);
      if (Array.isArray(r)) return r;
      last = r.servfail ? SERVFAIL_AGAIN : r.herrno;
    }
    if (saved !== -1) return saved;
    if (gotNodata) return NO_DATA;
    if (gotServfail) return SERVFAIL_AGAIN;
    return last;
  }

  /** One candidate name: A and/or AAAA asked together, as glibc's gethostbyname4_r does. */
  async #queryDomain(name: string, family: 0 | 4 | 6, v4mapped: boolean, both: boolean, asked: AskedList): Promise<string[] | { herrno: number; servfail: boolean }> {
    const types: ('A' | 'AAAA')[] = family === 4 ? ['A'] : family === 6 ? (both ? ['AAAA', 'A'] : ['AAAA']) : ['A', 'AAAA'];
    let outcomes = await this.#askAll(name, types, asked);
    if (family === 6 && v4mapped && !both && !outcomes.some((o) => o.addresses?.length)) {
      const a = await this.#askAll(name, ['A'], asked);
      if (a[0]?.addresses?.length) return a[0].addresses.map((x) => `::ffff:${x}`);
      outcomes = [...outcomes, ...a];
    }
    const addresses: string[] = [];
    outcomes.forEach((o, i) => {
      for (const x of o.addresses ?? []) addresses.push(family === 6 && types[i] === 'A' ? `::ffff:${x}` : x);
    });
    if (addresses.length > 0) return addresses;
    const codes = outcomes.map((o) => o.code ?? 'ENODATA');
    if (codes.includes('ESERVFAIL')) return { herrno: TRY_AGAIN, servfail: true };
    if (codes.some((c) => c !== 'ENOTFOUND' && c !== 'ENODATA' && c !== 'EBADNAME')) return { herrno: TRY_AGAIN, servfail: false };
    if (codes.includes('ENODATA')) return { herrno: NO_DATA, servfail: false };
    return { herrno: HOST_NOT_FOUND, servfail: false };
  }

  #askAll(name: string, types: ('A' | 'AAAA')[], asked: AskedList): Promise<QueryOutcome[]> {
    // A cancelled lookup asks nothing more (its caller was already answered with the reason).
    if (asked.cancelled === true) return Promise.reject(new Error('lookup cancelled'));
    const now = types.map((t) => this.queries.ask(name, t));
    asked.push(...now);
    return Promise.all(now.map((a) => a.promise));
  }

  /** Runs `resolve`; `release()` gives up its questions (done or cancelled). */
  start(req: LookupRequest): { promise: Promise<string[]>; release(): void } {
    const asked: AskedList = [];
    const promise = this.resolve(req, asked);
    const release = (): void => { asked.cancelled = true; for (const a of asked) a.release(); };
    void promise.then(release, release);
    return { promise, release };
  }
}
