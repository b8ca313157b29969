import dns from 'node:dns';
import { hostname as osHostname, networkInterfaces } from 'node:os';
import { getSystemErrorMap } from 'node:util';
import { outsideScope, type Scope } from '../runtime/scope.js';
import { hostsFile, type HostsFile } from './hosts.js';
import { CaresQueries, type Asked, type OutcomeReceiver, type QueryOutcome } from './query.js';
import { NSSWITCH_PATH, RESOLV_CONF_PATH, parseNsswitch, parseResolvConf, systemResolvContext } from './resolvconf.js';
import { WatchedFile } from './watchedfile.js';
import { familyOf, hostsInet4, inetAton } from './addresses.js';
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
  /**
   * Node's result orders, after getaddrinfo's own (RFC 6724); `'answer'`, not Node's: as the
   * sources gave them, unsorted (the hosts file's order, the DNS answer's), as gethostbyname_r does.
   */
  order: 'verbatim' | 'ipv4first' | 'ipv6first' | 'answer';
}

// glibc's h_errno outcomes of a DNS search.
const HOST_NOT_FOUND = 1;
const TRY_AGAIN = 2;
const NO_RECOVERY = 3;
const NO_DATA = 4;

/**
 * One candidate name's failure, as res_query leaves it: h_errno; `servfail`, the reply kept says
 * SERVFAIL (res_search then goes on to the next search domain; REFUSED or a timeout end the list);
 * `failed`, res_send got no usable reply from any server (SERVFAIL, REFUSED, NOTIMP, timeout) and
 * left errno ETIMEDOUT, where an answered query (NXDOMAIN, NODATA) leaves errno 0.
 */
type Failure = { herrno: number; servfail: boolean; failed: boolean };
/** A failed res_search: its final h_errno, and `failed` of its last query (the errno it returns with). */
type Searched = { herrno: number; failed: boolean };

/**
 * A candidate whose reply had records but none of the types asked: a CNAME of a name without
 * them. res_search takes that reply (it has answers) and ends there; nss_dns then finds no
 * address in it and fails with NO_RECOVERY, which getaddrinfo reports as EAI_NONAME.
 */
const ALIAS_WITHOUT_DATA: Failure & Searched = { herrno: NO_RECOVERY, servfail: false, failed: false };

/**
 * A candidate name too long for a question (see `tooLong`): res_search's NO_RECOVERY, with errno
 * EMSGSIZE, so nss_dns says NOTFOUND and getaddrinfo EAI_NONAME (AF_INET too, unlike a reply
 * with only a CNAME).
 */
const UNASKABLE: Failure = { herrno: NO_RECOVERY, servfail: false, failed: false };

/** Replies that end a question: an answer, though without addresses. */
const isAnswer = (code: string): boolean => code === 'ENOTFOUND' || code === 'ENODATA' || code === 'EBADNAME';
/** Replies res_send does not take (it asks the next server): send_dg's SERVFAIL, NOTIMP, REFUSED. */
const isRejected = (code: string): boolean => code === 'ESERVFAIL' || code === 'EREFUSED' || code === 'ENOTIMP';

const errnoOf = (name: string): number => {
  for (const [errno, [n]] of getSystemErrorMap()) if (n === name) return errno;
  return -3008;
};
/** libuv's errno values of the getaddrinfo errors Node reports (ENOTFOUND carries NONAME or NODATA). */
export const EAI = { NONAME: errnoOf('EAI_NONAME'), NODATA: errnoOf('EAI_NODATA'), AGAIN: errnoOf('EAI_AGAIN') };

/**
 * getaddrinfo's `no_data` for a failed search through nss_dns (gethosts, get_nss_addresses in
 * sysdeps/posix/getaddrinfo.c): EAI_AGAIN for TRY_AGAIN, EAI_NODATA for NO_DATA, else 0 (EAI_NONAME).
 * Families 0 and 6 take it as is.
 */
const noData = (herrno: number): number => (herrno === TRY_AGAIN ? EAI.AGAIN : herrno === NO_DATA ? EAI.NODATA : 0);

/**
 * getaddrinfo's error for a failed AF_INET search: its try_simple_gethostbyname calls
 * gethostbyname2_r, which fails (EAI_AGAIN for TRY_AGAIN) only when nss_dns said UNAVAIL, i.e. when
 * res_search returned with errno ETIMEDOUT: its last query got no usable reply. Else h_errno
 * decides: NO_DATA is EAI_NODATA (a reply with only a CNAME too, which gethostbyname2_r reports so),
 * anything else (TRY_AGAIN too) EAI_NONAME. (HOST_NOT_FOUND with
 * the last query failed gives EAI_NONAME when errno was 0 as getaddrinfo was called, EAI_NODATA
 * otherwise; the former is taken.)
 */
/**
 * glibc's generate_addrinfo with AI_V4MAPPED and without AI_ALL: once an IPv6 address was found,
 * v4-mapped addresses are dropped, those found as IPv6 addresses (a hosts-file line, an AAAA
 * record) too. Nothing left is EAI_NONAME: the source did answer, so no other is asked.
 */
const withoutMapped = (list: string[]): string[] => list.filter((a) => !(a.startsWith('::ffff:') && a.includes('.')));

const inetError = (s: Searched): number => (s.herrno === NO_DATA || s === ALIAS_WITHOUT_DATA ? EAI.NODATA : s.herrno === TRY_AGAIN && s.failed ? EAI.AGAIN : EAI.NONAME);

/** An error shaped as Node's DNSException for a failed getaddrinfo. @internal */
export function getaddrinfoError(errno: number, hostname: string): NodeJS.ErrnoException {
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

type Type = 'A' | 'AAAA' | 'CNAME';
/** What the walk asks next: these types of this name, together. */
type Ask = { name: string; types: readonly Type[] };
/** getaddrinfo's walk, as a generator: it yields the questions and gets their outcomes back. */
type Walk<R> = Generator<Ask, R, QueryOutcome[]>;

const A: readonly Type[] = ['A'];
const AAAA: readonly Type[] = ['AAAA'];
const A_AAAA: readonly Type[] = ['A', 'AAAA'];
/** Asked, outside the paced questions, only to tell an empty reply from a CNAME's (see ALIAS_WITHOUT_DATA). */
const CNAME: readonly Type[] = ['CNAME'];

/**
 * @internal A hint of the socket module's getaddrinfo, beside Node's: AI_CANONNAME was asked. glibc
 * then answers AF_INET through its general path, whose error for a failed search is as for AF_UNSPEC.
 */
export const CANONNAME_HINT = 1 << 30;

/**
 * A lookup's callback: getaddrinfo's error, or the addresses in order and the name that had them
 * (AI_CANONNAME's, before CNAMEs: the search domain's name that answered, or the official name of
 * the hosts-file line).
 */
export type LookupDone = (err: Error | null, addresses?: string[], canonname?: string) => void;

/** @internal Where the walk leaves the name that had the addresses when a hosts-file line answered. */
export interface CanonnameHolder {
  canonname: string | undefined;
}

/** What a lookup is owned by while it runs: a greenlet's scope, of which it needs these two. */
export type LookupScope = Pick<Scope, 'own' | 'disown'>;

/** A lookup started by `CaresLookup.start`. */
export interface LookupRun {
  /** The caller gave up: its questions are released, `done` is not called. */
  cancel(): void;
}

/**
 * Whether res_mkquery cannot write `name` in a question: longer than 253 characters (254 with a
 * trailing dot), 255 bytes in the packet. (A label over 63 characters, or empty, c-ares refuses
 * itself, as an answer: EBADNAME.) One comparison: this runs for every name asked.
 */
const tooLong = (name: string): boolean => name.length > 253 && (name.length > 254 || name.charCodeAt(253) !== 0x2e);

/**
 * glibc's res_hnok, which nss_dns applies before asking anything: letters, digits, `-` and `_` in
 * dot-separated labels, not beginning with `-`. (Dots themselves are left to c-ares.) A name too
 * long for a question fails too: its every candidate would, and nss_dns then says NOTFOUND alike.
 */
function hostnameOk(name: string): boolean {
  if (name.charCodeAt(0) === 0x2d || tooLong(name)) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || c === 0x2d || c === 0x5f || c === 0x2e)) return false;
  }
  return true;
}

/** getaddrinfo over c-ares (see the file's head comment). */
export class CaresLookup {
  readonly queries: CaresQueries;
  readonly #hosts: HostsFile;
  readonly #resolvConf: WatchedFile<ReturnType<typeof parseResolvConf>>;
  readonly #nsswitch: WatchedFile<ReturnType<typeof parseNsswitch>>;
  readonly #gaiConf = new WatchedFile('/etc/gai.conf', (t) => t.split('\n').some((l) => l.replace(/#.*/, '').trim() !== ''));
  #ifaces: { at: number; v4: boolean; v6: boolean } = { at: -Infinity, v4: false, v6: false };
  #plainFor: ReturnType<typeof parseNsswitch> | undefined;
  #plain = false;

  constructor(queries: CaresQueries, files: SystemFiles = {}) {
    this.queries = queries;
    this.#hosts = hostsFile(files.hosts);
    this.#resolvConf = new WatchedFile(files.resolvConf ?? RESOLV_CONF_PATH, (text) => parseResolvConf(text, systemResolvContext()));
    this.#nsswitch = new WatchedFile(files.nsswitch ?? NSSWITCH_PATH, parseNsswitch);
    // A question is given up as glibc would: after resolv.conf's timeout × attempts.
    queries.patience = () => { const { timeout, attempts } = this.#resolvConf.value; return timeout * attempts * 1000; };
  }

  /**
   * Reads the system configuration (hosts file, resolv.conf, nsswitch.conf, gai.conf) now rather
   * than on the first lookup, which then sends its question about 2 ms sooner.
   */
  prime(): void {
    void this.#hosts.table;
    void this.#resolvConf.value;
    void this.#nsswitch.value;
    void this.#gaiConf.value;
  }

  /**
   * True when c-ares cannot give getaddrinfo's answer for `hostname`: a nsswitch source other than
   * files and dns that may own the name, `[...]` actions, an active /etc/gai.conf, a non-ASCII name
   * or one with a NUL byte, an IPv4 address in one of inet_aton's short forms (`127.1`).
   */
  needsOriginal(hostname: string): boolean {
    // A NUL byte too: Node 20 ends the name there for getaddrinfo, later lines throw; c-ares would throw
    // on a question already counted in flight.
    // eslint-disable-next-line no-control-regex
    if (/[^\x01-\x7f]/.test(hostname)) return true;
    // 127.1, 0x7f000001: addresses to getaddrinfo (inet_aton), never asked of DNS.
    if (inetAton(hostname) !== undefined) return true;
    if (this.#gaiConf.value) return true;
    const nsswitch = this.#nsswitch.value;
    if (nsswitch.hasActions) return true;
    // The usual `hosts: files dns`: nothing else to check per name.
    if (nsswitch !== this.#plainFor) {
      this.#plainFor = nsswitch;
      this.#plain = nsswitch.sources.includes('dns') && nsswitch.sources.every((source) => source === 'files' || source === 'dns');
    }
    if (this.#plain) return false;
    const { sources } = nsswitch;
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

  /**
   * Resolves `req` as getaddrinfo would (its addresses, in its order with Node's `order` applied,
   * or its error) and calls `done` once, unless `cancel()` came first: then the questions nobody
   * else asked are cancelled and `done` is never called. With a `scope`, the lookup is the scope's
   * until it ends: when the scope is disposed of, its questions are released and `done` gets the
   * reason.
   */
  start(req: LookupRequest, done: LookupDone, scope?: LookupScope): LookupRun {
    const run = new Run(this, req, done, scope);
    const first = this.#firstAsk(req);
    // The walk's first question is asked without the walk: most lookups end with its answer.
    if (first === undefined) run.walk(this._walk(req, run));
    else run.askFirst(first);
    if (scope !== undefined && !run.over) scope.own(run);
    return run;
  }

  /**
   * The types the walk asks first for the name itself, when that is surely its first question and
   * an answer with addresses surely ends it (as is): no hints, nsswitch only files and dns, the
   * hosts file without the name, the name tried as is first. Else undefined.
   */
  #firstAsk(req: LookupRequest): readonly Type[] | undefined {
    // `needsOriginal` was asked by the caller, and left #plain for the nsswitch.conf it read.
    if (req.hints !== 0 || this.#plainFor !== this.#nsswitch.value || !this.#plain) return undefined;
    const { search, ndots, noTldQuery, noAaaa } = this.#resolvConf.value;
    if (noTldQuery || noAaaa || !hostnameOk(req.hostname)) return undefined;
    if (search.length > 0 && !req.hostname.endsWith('.')) {
      let dots = 0;
      for (let at = req.hostname.indexOf('.'); at !== -1 && dots < ndots; at = req.hostname.indexOf('.', at + 1)) dots++;
      if (dots < ndots) return undefined;
    }
    const lines = this.#hosts.lookup(req.hostname);
    if (lines !== undefined && (req.family === 0 || lines.some((a) => (req.family === 4 ? hostsInet4(a) !== undefined : familyOf(a) === 6)))) return undefined;
    return req.family === 4 ? A : req.family === 6 ? AAAA : A_AAAA;
  }

  /**
   * @internal getaddrinfo's walk of the nsswitch sources: the addresses found (unsorted); throws its
   * errors. A hosts-file answer leaves its line's official name in `holder`.
   */
  *_walk(req: LookupRequest, holder?: CanonnameHolder): Walk<string[]> {
    let family = req.family;
    if ((req.hints & dns.ADDRCONFIG) !== 0) {
      const configured = this.addrconfigFamily(family);
      if (configured === undefined) throw getaddrinfoError(EAI.NONAME, req.hostname);
      family = configured;
    }
    // After ADDRCONFIG: a host with IPv6 only turns family 0 into 6, and V4MAPPED then applies.
    const v4mapped = family === 6 && (req.hints & dns.V4MAPPED) !== 0;
    const both = v4mapped && (req.hints & dns.ALL) !== 0;
    const pick = (list: string[]): string[] => {
      if (family === 0) return list;
      if (family === 4) return list.flatMap((a) => hostsInet4(a) ?? []);
      const want = list.filter((a) => familyOf(a) === 6);
      if (!v4mapped) return want;
      if (want.length > 0 && !both) return withoutMapped(want);
      // The IPv4 lookup's addresses (see hostsInet4: ::1 gives ::ffff:127.0.0.1), mapped.
      return [...want, ...list.flatMap((a) => hostsInet4(a) ?? []).map((a) => `::ffff:${a}`)];
    };
    let error = EAI.NONAME;
    for (const source of this.#nsswitch.value.sources) {
      if (source === 'files') {
        const lines = this.#hosts.lookup(req.hostname) ?? [];
        const found = pick(lines);
        // Found, but only v4-mapped IPv6 addresses, dropped (see withoutMapped).
        if (found.length === 0 && v4mapped && !both && lines.some((a) => familyOf(a) === 6)) throw getaddrinfoError(EAI.NONAME, req.hostname);
        if (found.length > 0) {
          if (holder !== undefined) holder.canonname = this.#hosts.table.lines.get(req.hostname.toLowerCase())?.[0]?.official ?? req.hostname;
          return found;
        }
        // The last source's failure is getaddrinfo's (`hosts: dns files`: NOTFOUND from files).
        error = EAI.NONAME;
      } else if (source === 'dns') {
        // nss_dns asks nothing for a name res_hnok refuses (`-a.test`, `a*b.test`): NOTFOUND.
        if (!hostnameOk(req.hostname)) {
          error = EAI.NONAME;
          continue;
        }
        const result = family === 6 ? yield* this.#search6(req.hostname, v4mapped, both) : yield* this.#search(req.hostname, family === 4 ? A : A_AAAA);
        if (Array.isArray(result)) return result;
        error = typeof result === 'number' ? result : family === 4 && (req.hints & CANONNAME_HINT) === 0 ? inetError(result) : noData(result.herrno) || EAI.NONAME;
        // glibc: dns "unavailable" (TRY_AGAIN) ends the walk only with [UNAVAIL=return]; NOTFOUND goes on.
      }
    }
    throw getaddrinfoError(error, req.hostname);
  }

  /** nsswitch.conf's `hosts:` sources, as read now. */
  sources(): readonly string[] {
    return this.#nsswitch.value.sources;
  }

  /** resolv.conf's `timeout` (seconds) and `attempts`, as read now. */
  resolvConf(): { timeout: number; attempts: number } {
    return this.#resolvConf.value;
  }

  /**
   * `family` under AI_ADDRCONFIG, as glibc's getaddrinfo applies it: undefined (EAI_NONAME) when the
   * host has no address of that family; AF_UNSPEC narrowed to the one family it has, if only one.
   */
  addrconfigFamily(family: 0 | 4 | 6): 0 | 4 | 6 | undefined {
    const { v4, v6 } = this.#configured();
    if (family === 0) return v4 !== v6 ? (v4 ? 4 : 6) : 0;
    return (family === 4 ? v4 : v6) ? family : undefined;
  }

  /**
   * Whether the host has an IPv4 and an IPv6 address configured, as AI_ADDRCONFIG sees it (glibc's
   * __check_pf: loopback addresses do not count). Read again at most once a second.
   */
  #configured(): { v4: boolean; v6: boolean } {
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

  /**
   * getaddrinfo's AF_INET6 lookup (gethosts in sysdeps/posix/getaddrinfo.c): a res_search of AAAA,
   * then, with AI_V4MAPPED, a res_search of A of its own when no AAAA was found (always with AI_ALL).
   * The addresses, or getaddrinfo's error.
   */
  *#search6(hostname: string, v4mapped: boolean, both: boolean): Walk<string[] | number> {
    const six = yield* this.#search(hostname, AAAA);
    if (!v4mapped) return Array.isArray(six) ? six : noData(six.herrno) || EAI.NONAME;
    if (Array.isArray(six) && !both) {
      const kept = withoutMapped(six);
      return kept.length > 0 ? kept : EAI.NONAME;
    }
    const four = yield* this.#search(hostname, A);
    const mapped = Array.isArray(four) ? four.map((a) => `::ffff:${a}`) : [];
    if (Array.isArray(six)) return mapped.length > 0 ? [...six, ...mapped] : six;
    if (Array.isArray(four)) return mapped;
    // Both failed: EAI_AGAIN if both were TRY_AGAIN, EAI_NODATA if both were TRY_AGAIN or NO_DATA.
    const n6 = noData(six.herrno), n4 = noData(four.herrno);
    if (n6 === 0 || n4 === 0) return EAI.NONAME;
    return n6 === EAI.AGAIN && n4 === EAI.AGAIN ? EAI.AGAIN : EAI.NODATA;
  }

  /** glibc's res_search (__res_context_search): the name as is and with each search domain, in ndots order. */
  *#search(hostname: string, asked: readonly Type[]): Walk<string[] | Searched> {
    const { search, ndots, noTldQuery, noAaaa } = this.#resolvConf.value;
    // `options no-aaaa`: no AAAA question goes out. Asked alone, A goes in its place, and only
    // tells whether the name exists (addresses: NO_DATA), as glibc 2.36 does.
    const existence = noAaaa && !asked.includes('A');
    const types = !noAaaa ? asked : existence ? A : asked.filter((type) => type !== 'AAAA');
    let dots = 0;
    for (let at = hostname.indexOf('.'); at !== -1; at = hostname.indexOf('.', at + 1)) dots++;
    const trailingDot = hostname.endsWith('.');
    let saved = -1;
    let triedAsIs = false;
    let last: Failure = { herrno: HOST_NOT_FOUND, servfail: false, failed: false };
    if (dots >= ndots || trailingDot) {
      const r = yield* this.#queryDomain(hostname, types, existence);
      if (Array.isArray(r) || r === ALIAS_WITHOUT_DATA) return r;
      last = r;
      saved = r.herrno;
      triedAsIs = true;
      if (trailingDot) return r;
    }
    let gotNodata = false, gotServfail = false, rootOnList = false;
    for (const domain of search) {
      // The root (`search .`): the name as it is, in its place in the list.
      if (domain === '') rootOnList = true;
      const r = yield* this.#queryDomain(domain === '' ? hostname : `${hostname}.${domain}`, types, existence);
      if (Array.isArray(r) || r === ALIAS_WITHOUT_DATA) return r;
      last = r;
      if (r.herrno === NO_DATA) gotNodata = true;
      else if (r.herrno === TRY_AGAIN && r.servfail) gotServfail = true;
      else if (r.herrno !== HOST_NOT_FOUND) break;
    }
    // Asked as it is last, unless it was already, or (no-tld-query) it has no dot and the list was searched.
    if (!(triedAsIs || rootOnList) && (dots > 0 || search.length === 0 || !noTldQuery)) {
      const r = yield* this.#queryDomain(hostname, types, existence);
      if (Array.isArray(r) || r === ALIAS_WITHOUT_DATA) return r;
      last = r;
    }
    // h_errno: the as-is query's, else NO_DATA if one said so, else TRY_AGAIN if one said SERVFAIL,
    // else the last one's. errno (`failed`) is always the last query's.
    const herrno = saved !== -1 ? saved : gotNodata ? NO_DATA : gotServfail ? TRY_AGAIN : last.herrno;
    return { herrno, failed: last.failed };
  }

  /** One candidate name: its types asked together, as res_query asks A and AAAA (gethostbyname4_r). */
  *#queryDomain(name: string, types: readonly Type[], existence = false): Walk<string[] | Failure> {
    // The name with a search domain may be too long for a question: res_querydomain fails without
    // asking, NO_RECOVERY, which ends the search list (the name as is may still be asked).
    if (tooLong(name)) return UNASKABLE;
    const outcomes = yield { name, types };
    if (existence && outcomes[0]!.addresses !== undefined) return { herrno: NO_DATA, servfail: false, failed: false };
    // The common answer, one type, addresses: as is (no copy).
    if (outcomes.length === 1 && outcomes[0]!.addresses?.length) return outcomes[0]!.addresses;
    const addresses: string[] = [];
    for (const o of outcomes) if (o.addresses) addresses.push(...o.addresses);
    if (addresses.length > 0) return addresses;
    let codes = outcomes.map((o) => o.code ?? 'ENODATA');
    // A and AAAA together: a reply send_dg does not take (SERVFAIL, REFUSED, NOTIMP) for one of them
    // is set aside when the other was answered; the answered one alone is the outcome (glibc's
    // behaviour when the A reply comes first, the usual order).
    if (codes.length === 2 && codes.some(isAnswer) && codes.some(isRejected)) codes = codes.filter(isAnswer);
    if (codes.includes('ESERVFAIL')) return { herrno: TRY_AGAIN, servfail: true, failed: true };
    if (codes.some((c) => !isAnswer(c))) return { herrno: TRY_AGAIN, servfail: false, failed: true };
    if (codes.includes('ENODATA')) {
      // c-ares reports an empty reply and a CNAME's alike ("no data"): which one, is asked.
      if (!existence && codes.every((c) => c === 'ENODATA') && (yield { name, types: CNAME })[0]!.addresses !== undefined) return ALIAS_WITHOUT_DATA;
      return { herrno: NO_DATA, servfail: false, failed: false };
    }
    return { herrno: HOST_NOT_FOUND, servfail: false, failed: false };
  }
}

const NO_OUTCOMES: QueryOutcome[] = [];

/**
 * One lookup in progress: drives its walk, asking what it yields, until it returns or throws.
 * It receives its questions' outcomes itself and is the scope's resource itself: no closure or
 * helper object per lookup, since thousands are in flight at once in a fan-out.
 */
class Run implements OutcomeReceiver, LookupRun, CanonnameHolder {
  over = false;
  /** The name of the first question answered with addresses, or the hosts-file line's official name. */
  canonname: string | undefined = undefined;
  /** The name asked now. */
  #name = '';
  #walk: Walk<string[]> | undefined = undefined;
  // The group asked now (one or two types of one name): its askers and the outcomes so far.
  #asked0: Asked | undefined = undefined;
  #asked1: Asked | undefined = undefined;
  #got: QueryOutcome[] = NO_OUTCOMES;
  #left = 0;
  /** The group asked is the walk's first, asked without the walk (see CaresLookup.start). */
  #first: readonly Type[] | undefined = undefined;
  /** The channel of a CNAME question under way (see #askCname). */
  #cname: dns.Resolver | undefined = undefined;

  constructor(readonly engine: CaresLookup, readonly req: LookupRequest, readonly done: LookupDone, readonly scope: LookupScope | undefined) {}

  /** Asks the walk's first group, `types` of the name itself, without the walk. */
  askFirst(types: readonly Type[]): void {
    this.#first = types;
    this.#ask(this.req.hostname, types);
  }

  /** Drives `walk`; `answered`: its first question, already asked, with the outcomes. */
  walk(walk: Walk<string[]>, answered?: Ask & { outcomes: QueryOutcome[] }): void {
    this.#walk = walk;
    if (answered === undefined) {
      this.#advance(NO_OUTCOMES);
      return;
    }
    let step: IteratorResult<Ask, string[]>;
    try {
      step = walk.next(NO_OUTCOMES);
    } catch (error) {
      this.#finish(error as Error, undefined);
      return;
    }
    if (step.done !== true && step.value.name === answered.name && step.value.types === answered.types) this.#advance(answered.outcomes);
    else this.#step(step);
  }

  /** Asks `types` of `name` together; their outcomes come to `outcome`. */
  #ask(name: string, types: readonly Type[]): void {
    if (types === CNAME) {
      this.#askCname(name);
      return;
    }
    this.#name = name;
    const got = new Array<QueryOutcome>(types.length);
    this.#got = got;
    this.#left = types.length;
    const queries = this.engine.queries;
    // An answer from the cache comes within listen(): if it completed the group, the next group
    // may be asked already, and this group's askers are released at once.
    // Not CNAME (above): the paced types.
    const paced = types as readonly ('A' | 'AAAA')[];
    const a0 = queries.listen(name, paced[0]!, this, 0);
    if (this.#got === got) this.#asked0 = a0;
    else { a0.release(); return; }
    if (types.length < 2) return;
    const a1 = queries.listen(name, paced[1]!, this, 1);
    if (this.#got === got) this.#asked1 = a1;
    else a1.release();
  }

  /** @internal One outcome of the group asked now. */
  outcome(outcome: QueryOutcome, index: number): void {
    const got = this.#got;
    got[index] = outcome;
    if (--this.#left !== 0 || this.over) return;
    if (this.canonname === undefined) for (const o of got) if (o.addresses !== undefined && o.addresses.length > 0) this.canonname = this.#name;
    this.#release();
    this.#got = NO_OUTCOMES;
    const first = this.#first;
    if (first === undefined) {
      this.#advance(got);
      return;
    }
    this.#first = undefined;
    let addresses: string[] | undefined;
    for (const o of got) if (o.addresses !== undefined && o.addresses.length > 0) addresses = addresses === undefined ? o.addresses : [...addresses, ...o.addresses];
    if (addresses !== undefined) this.ordered(addresses);
    else this.walk(this.engine._walk(this.req, this), { name: this.req.hostname, types: first, outcomes: got });
  }

  /**
   * Whether `name` is a CNAME, on a channel of its own (a failing lookup's rare question, outside
   * the paced ones), cancelled with the lookup; its outcome goes to the walk: the target, or none
   * (no CNAME, or no reply).
   */
  #askCname(name: string): void {
    const { timeout, attempts } = this.engine.resolvConf();
    const resolver = new dns.Resolver({ timeout: timeout * 1000, tries: attempts });
    const servers = this.engine.queries.servers();
    if (servers !== undefined) resolver.setServers(servers);
    this.#cname = resolver;
    // Outside the asker's scope: the answer's callback must not run in a greenlet.
    outsideScope(() => resolver.resolveCname(name, (err, targets) => {
      if (this.#cname !== resolver) return;
      this.#cname = undefined;
      this.#advance([err === null && targets.length > 0 ? { addresses: targets } : { code: 'ENODATA' }]);
    }));
  }

  #advance(outcomes: QueryOutcome[]): void {
    let step: IteratorResult<Ask, string[]>;
    try {
      step = this.#walk!.next(outcomes);
    } catch (error) {
      this.#finish(error as Error, undefined);
      return;
    }
    this.#step(step);
  }

  #step(step: IteratorResult<Ask, string[]>): void {
    if (step.done === true) this.ordered(step.value);
    else this.#ask(step.value.name, step.value.types);
  }

  cancel(): void {
    if (this.over) return;
    this.over = true;
    this.#release();
  }

  /** @internal The scope that owns the lookup was disposed of: `done` gets its reason. */
  dispose(reason: unknown): void {
    if (this.over) return;
    this.over = true;
    this.#release();
    this.done(reason as Error);
  }

  /** Ends the lookup with `addresses` in getaddrinfo's order (Node's `order` applied; as they are for `'answer'`). */
  ordered(addresses: string[]): void {
    // One address has one order: no source-address probe, no promise.
    if (addresses.length < 2 || this.req.order === 'answer') {
      this.#finish(null, addresses);
      return;
    }
    const order = this.req.order;
    sortAddresses(addresses).then((sorted) => {
      if (order === 'verbatim') return sorted;
      const first = order === 'ipv4first' ? 4 : 6;
      return [...sorted.filter((a) => familyOf(a) === first), ...sorted.filter((a) => familyOf(a) !== first)];
    }).then((sorted) => this.#finish(null, sorted), (error: unknown) => this.#finish(error as Error, undefined));
  }

  #finish(error: Error | null, addresses: string[] | undefined): void {
    if (this.over) return;
    this.over = true;
    this.#release();
    this.scope?.disown(this);
    this.done(error, addresses, this.canonname);
  }

  #release(): void {
    const cname = this.#cname;
    this.#cname = undefined;
    cname?.cancel();
    const a0 = this.#asked0, a1 = this.#asked1;
    this.#asked0 = this.#asked1 = undefined;
    a0?.release();
    a1?.release();
  }
}
