import { readFile, stat } from 'node:fs/promises';
import { invalidArgType } from '../internal/validate.js';
import { validatePort } from './address.js';

/**
 * Where `getservbyname` and `getservbyport` read the service table.
 *
 * @example
 * ```ts runnable
 * import { SERVICES_PATH, setServicesFile } from 'nodevent/net';
 * setServicesFile(SERVICES_PATH); // back to the system file
 * ```
 */
export const SERVICES_PATH = '/etc/services';

/** One line of the services table. */
export interface ServiceEntry {
  name: string;
  port: number;
  proto: string;
  aliases: string[];
}

// Used when the services file is absent (containers often ship without it): the well-known ports.
const BUILTIN = `
echo 7/tcp
echo 7/udp
discard 9/tcp sink null
discard 9/udp sink null
daytime 13/tcp
daytime 13/udp
ftp-data 20/tcp
ftp 21/tcp
ssh 22/tcp
telnet 23/tcp
smtp 25/tcp mail
time 37/tcp timserver
time 37/udp timserver
domain 53/tcp
domain 53/udp
bootps 67/udp
bootpc 68/udp
tftp 69/udp
gopher 70/tcp
finger 79/tcp
http 80/tcp www
kerberos 88/tcp kerberos5 krb5
kerberos 88/udp kerberos5 krb5
pop3 110/tcp pop-3
sunrpc 111/tcp portmapper
sunrpc 111/udp portmapper
nntp 119/tcp readnews untp
ntp 123/udp
imap2 143/tcp imap
snmp 161/udp
ldap 389/tcp
https 443/tcp
submissions 465/tcp ssmtp smtps urd
syslog 514/udp
submission 587/tcp
ldaps 636/tcp
rsync 873/tcp
imaps 993/tcp
pop3s 995/tcp
mysql 3306/tcp
postgresql 5432/tcp postgres
`;

/**
 * Parses services-file text: `name port/proto alias...`, `#` starts a comment.
 *
 * @example
 * ```ts runnable
 * import { parseServices } from 'nodevent/net';
 * parseServices('http 80/tcp www # web'); // [{ name: 'http', port: 80, proto: 'tcp', aliases: ['www'] }]
 * ```
 */
export function parseServices(text: string): ServiceEntry[] {
  const entries: ServiceEntry[] = [];
  for (const raw of text.split('\n')) {
    const [name, portProto, ...aliases] = raw.replace(/#.*/, '').trim().split(/\s+/);
    const m = portProto === undefined ? null : /^(\d+)\/(\w+)$/.exec(portProto);
    if (name === undefined || name === '' || m === null) continue;
    const port = Number(m[1]);
    if (port > 65535) continue;
    // As glibc's files source: the protocol as written (matched case-sensitively).
    entries.push({ name, port, proto: m[2]!, aliases });
  }
  return entries;
}

/**
 * The table compiled in, used when the services file cannot be read.
 *
 * @example
 * ```ts runnable
 * import { builtinServices } from 'nodevent/net';
 * builtinServices.find((e) => e.name === 'https')?.port; // 443
 * ```
 */
export const builtinServices: readonly ServiceEntry[] = parseServices(BUILTIN);

let defaultPath = SERVICES_PATH;
const cache = new Map<string, { signature: string; entries: ServiceEntry[] }>();

/**
 * Sets the services file every lookup reads by default (`null` puts back `/etc/services`).
 *
 * @example
 * ```ts runnable
 * import { setServicesFile } from 'nodevent/net';
 * setServicesFile('/opt/app/services');
 * ```
 */
export function setServicesFile(path: string | null): void {
  if (path !== null && typeof path !== 'string') throw invalidArgType('path', 'of type string or null', path);
  defaultPath = path ?? SERVICES_PATH;
}

/** Options of the service lookups. */
export interface ServicesOptions {
  /** The services file to read. @default '/etc/services' (see `setServicesFile`) */
  servicesFile?: string;
}

/** The service table of `path` (re-read when it changes), or the built-in one when it is absent. */
export async function loadServices(path: string = defaultPath): Promise<ServiceEntry[]> {
  let signature: string;
  try {
    const st = await stat(path);
    signature = `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return builtinServices as ServiceEntry[];
  }
  const cached = cache.get(path);
  if (cached?.signature === signature) return cached.entries;
  let entries: ServiceEntry[];
  try {
    entries = parseServices(await readFile(path, 'utf8'));
  } catch {
    return builtinServices as ServiceEntry[];
  }
  cache.set(path, { signature, entries });
  return entries;
}

/**
 * The protocol asked: undefined (none given) for any. As glibc compares it with the file's, case
 * matters and `''` names no protocol: `'TCP'` and `''` find nothing, as in Python.
 */
function validateProto(proto: unknown): string | undefined {
  if (proto === undefined || proto === null) return undefined;
  if (typeof proto !== 'string') throw invalidArgType('proto', 'of type string ("tcp" or "udp")', proto);
  return proto;
}

function notFound(message: string): Error {
  const err = new Error(message) as NodeJS.ErrnoException;
  err.code = 'ENOENT';
  return err;
}

/** The entry named `name` (or one of its aliases) for `proto`, or undefined. */
export async function findService(name: string, proto?: string, options: ServicesOptions = {}): Promise<ServiceEntry | undefined> {
  const entries = await loadServices(options.servicesFile);
  return entries.find((e) => (proto === undefined || e.proto === proto) && (e.name === name || e.aliases.includes(name)));
}

/**
 * The port of a service, read from `/etc/services` (built-in table when absent), Python's
 * `socket.getservbyname`. Names and `proto` are matched as written (`'SSH'` or `'TCP'` finds
 * nothing, as with glibc). Rejects with an Error "service/proto not found" when it is unknown.
 *
 * @example
 * ```ts runnable
 * import { getservbyname } from 'nodevent/net';
 * await getservbyname('http');        // 80
 * await getservbyname('domain', 'udp'); // 53
 * ```
 */
export async function getservbyname(name: string, proto?: string, options: ServicesOptions = {}): Promise<number> {
  if (typeof name !== 'string') throw invalidArgType('name', 'of type string', name);
  const p = validateProto(proto);
  const entry = await findService(name, p, options);
  if (entry === undefined) throw notFound(`service/proto not found: '${name}'${p === undefined ? '' : `/${p}`}`);
  return entry.port;
}

/**
 * The name of the service on `port`, Python's `socket.getservbyport`. `proto` is matched as
 * written (`'TCP'` finds nothing, as with glibc). Rejects with an Error "port/proto not found" when
 * the table has none.
 *
 * @example
 * ```ts runnable
 * import { getservbyport } from 'nodevent/net';
 * await getservbyport(80);          // 'http'
 * await getservbyport(53, 'udp');   // 'domain'
 * ```
 */
export async function getservbyport(port: number, proto?: string, options: ServicesOptions = {}): Promise<string> {
  validatePort(port);
  const p = validateProto(proto);
  const entries = await loadServices(options.servicesFile);
  const entry = entries.find((e) => e.port === port && (p === undefined || e.proto === p));
  if (entry === undefined) throw notFound(`port/proto not found: ${port}${p === undefined ? '' : `/${p}`}`);
  return entry.name;
}
