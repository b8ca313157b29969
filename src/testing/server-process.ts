import { spawn as spawnProcess, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

// What the database fixtures (postgres-server.ts, mariadb-server.ts) share: finding a binary,
// a free loopback port, and a child process in its own process group that dies with the test
// process even when the test times out.

/**
 * The first `name` on PATH (or in `extra` directories), or null.
 */
export function findBinary(name: string, extra: string[] = []): string | null {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), ...extra]) {
    if (dir !== '' && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

/**
 * A free TCP port on 127.0.0.1.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Runs a command to completion; rejects with its output when it fails.
 */
export function run(binary: string, args: string[], options: SpawnOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawnProcess(binary, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout!.on('data', (chunk: Buffer) => { output += chunk; });
    proc.stderr!.on('data', (chunk: Buffer) => { output += chunk; });
    proc.once('error', reject);
    proc.once('exit', (code, signal) => {
      if (code === 0) resolve(output);
      else reject(new Error(`${binary} ${args.join(' ')} failed (${signal ?? code}): ${output.trim()}`));
    });
  });
}

/**
 * A long-running server process, killed with its whole process group.
 */
export interface ServerProcess {
  readonly child: ChildProcess;
  /** Everything the server wrote so far. */
  output(): string;
  /** Resolves once `pattern` appears in the output; rejects when the process exits first or after `seconds`. */
  waitFor(pattern: RegExp, seconds: number): Promise<void>;
  /** SIGTERM (or SIGKILL) to the process group; resolves when the server exited. */
  stop(kill?: boolean): Promise<void>;
}

// The guard between the test process and a server: it leads a process group of its own, starts
// the server in that group, and SIGKILLs the whole group when its stdin closes. The test process
// holds that stdin, so the server dies with the test however the test dies (tap's timeout,
// SIGKILL), which a process 'exit' handler alone cannot promise. stop() signals the group
// directly: SIGTERM asks the server to stop (the guard waits for it), SIGKILL is a crash at once.
// Inline, so that it runs from src/ and dist/ alike.
const GUARD = `
const { spawn } = require('node:child_process');
const [ids, binary, ...args] = process.argv.slice(1);
const child = spawn(binary, args, { ...JSON.parse(ids), stdio: ['ignore', 'inherit', 'inherit'] });
const everyone = () => { try { process.kill(0, 'SIGKILL'); } catch {} };
process.on('SIGTERM', () => {});
process.stdin.on('end', everyone).on('error', everyone).resume();
child.on('error', (error) => { console.error(error.message); process.exit(127); });
child.on('exit', (code) => { process.exitCode = code ?? 128; everyone(); });
`;

/**
 * Starts `binary` in its own process group behind a guard process: the group is killed when
 * `stop()` is called, and also when the test process dies by any means.
 */
export function startProcess(binary: string, args: string[], options: SpawnOptions = {}): ServerProcess {
  // The guard needs none of a test runner's preloads (NODE_OPTIONS); the server gets the rest.
  // The guard itself runs as we do: a server's user (postgres refuses root) may not be allowed to
  // read the node binary running the tests (one installed under /root, say).
  const { uid, gid, ...rest } = options;
  const env = { ...(options.env ?? process.env), NODE_OPTIONS: '' };
  const ids = JSON.stringify({ uid, gid });
  const child = spawnProcess(process.execPath, ['-e', GUARD, ids, binary, ...args], { ...rest, env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  let text = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    text += chunk;
    for (const waiter of waiters) waiter();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  child.stdin!.on('error', () => {}); // the guard may be gone already
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    child,
    output: () => text,
    waitFor(pattern, seconds) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (pattern.test(text)) finish(resolve);
        };
        const finish = (fn: () => void): void => {
          waiters.delete(check);
          clearTimeout(timer);
          fn();
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`${binary} did not start within ${seconds} s: ${text.trim()}`))), seconds * 1000);
        waiters.add(check);
        void exited.then(() => finish(() => reject(new Error(`${binary} exited before it was ready: ${text.trim()}`))));
        check();
      });
    },
    async stop(kill = false) {
      if (!running()) return;
      try {
        process.kill(-child.pid!, kill ? 'SIGKILL' : 'SIGTERM');
      } catch {
        // The group is gone already.
      }
      await exited;
    },
  };
}

/**
 * Waits until `server` prints `ready` (killing it when it does not within 60 s) and returns the
 * fixture's `stop`: the server stopped (SIGKILL with `{ kill: true }`), then `dir` removed.
 */
export async function readyToServe(server: ServerProcess, ready: RegExp, dir: string): Promise<(options?: { kill?: boolean }) => Promise<void>> {
  try {
    await server.waitFor(ready, 60);
  } catch (error) {
    await server.stop(true);
    throw error;
  }
  return async ({ kill = false } = {}) => {
    await server.stop(kill);
    await rm(dir, { recursive: true, force: true });
  };
}
