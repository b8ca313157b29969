import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Runs the TypeScript program `helper` (a file in test/helpers) with this Node, without the test
 * runner's coverage instrumentation, and resolves with the JSON of the last line it printed and
 * when it exited; rejects when it fails or outlives `timeoutMs` (it is killed then).
 */
export function runChild<T = Record<string, unknown>>(helper: string, options: { args?: string[]; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<{ out: T; exitedAt: number }> {
  const child = fileURLToPath(new URL(`./${helper}`, import.meta.url));
  const loader = import.meta.resolve('@tapjs/typescript/import');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', loader, child, ...(options.args ?? [])], {
      timeout: options.timeoutMs ?? 60_000, env: { ...process.env, NODE_OPTIONS: '', ...options.env },
    }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve({ out: JSON.parse(stdout.trim().split('\n').pop()!) as T, exitedAt: Date.now() });
    });
  });
}
