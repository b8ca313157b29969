import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Netns } from '../../src/testing/netns.js';

/**
 * Runs the TypeScript program `helper` (a file in test/helpers) with this Node inside `ns`, and
 * resolves with what it printed; rejects with its stderr when it fails or outlives `timeoutMs`.
 */
export function runInNetns(ns: Netns, helper: string, timeoutMs: number): Promise<string> {
  const child = fileURLToPath(new URL(`./${helper}`, import.meta.url));
  const loader = import.meta.resolve('@tapjs/typescript/import');
  return new Promise<string>((resolve, reject) => {
    execFile(ns.exec[0]!, [...ns.exec.slice(1), process.execPath, '--import', loader, child], {
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' }, timeout: timeoutMs, maxBuffer: 1 << 24,
    }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
  });
}
