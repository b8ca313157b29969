// `npm test`'s pretest step. Installs the Debian packages whose servers the suite starts for real
// when they are missing and we are root; otherwise says what is missing (those tests skip with a
// reason). Every test starts its own server on a free loopback port, so the packages' own system
// services are never needed: they are kept from starting while apt installs them.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';

const onPath = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const anyOf = (...paths) => paths.some((p) => existsSync(p));
const postgresBin = () => {
  try {
    return readdirSync('/usr/lib/postgresql').some((v) => existsSync(`/usr/lib/postgresql/${v}/bin/initdb`));
  } catch {
    return false;
  }
};

// [Debian package, is it there?] — binaries are looked up where Debian puts them, since /usr/sbin
// and /usr/lib/postgresql/N/bin are not on every PATH.
const wanted = [
  ['redis-server', () => onPath('redis-server')],
  ['iproute2', () => onPath('ip') || anyOf('/usr/sbin/ip', '/sbin/ip')],
  ['postgresql', () => postgresBin() || (onPath('initdb') && onPath('postgres'))],
  ['mariadb-server', () => anyOf('/usr/sbin/mariadbd') || onPath('mariadbd')],
  // dnsmasq-base is the dnsmasq binary without the system service (which would take port 53).
  ['dnsmasq-base', () => anyOf('/usr/sbin/dnsmasq') || onPath('dnsmasq')],
];
const missing = wanted.filter(([, present]) => !present()).map(([pkg]) => pkg);
if (missing.length === 0) process.exit(0);
if (process.platform !== 'linux' || process.getuid?.() !== 0 || !onPath('apt-get')) {
  console.warn(`nodevent tests: missing ${missing.join(', ')}; the tests that need them will be skipped.`);
  process.exit(0);
}

console.log(`nodevent tests: installing ${missing.join(', ')} with apt-get`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
// Debian's convention for "do not start services from maintainer scripts": exit 101.
const policy = '/usr/sbin/policy-rc.d';
const ownPolicy = !existsSync(policy);
if (ownPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
try {
  execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
} finally {
  if (ownPolicy) rmSync(policy, { force: true });
}
