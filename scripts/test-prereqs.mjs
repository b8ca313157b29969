// Installs the Debian packages the test suite drives for real (redis-server, iproute2 for network
// namespaces) when they are missing and we are root; otherwise says what is missing.
import { execFileSync, spawnSync } from 'node:child_process';

const wanted = [
  ['redis-server', 'redis-server'],
  ['ip', 'iproute2'],
];
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const missing = wanted.filter(([cmd]) => !has(cmd)).map(([, pkg]) => pkg);
if (missing.length === 0) process.exit(0);
if (process.platform !== 'linux' || process.getuid?.() !== 0 || !has('apt-get')) {
  console.warn(`nodevent tests: missing ${missing.join(', ')}; the tests that need them will be skipped.`);
  process.exit(0);
}
console.log(`nodevent tests: installing ${missing.join(', ')} with apt-get`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
