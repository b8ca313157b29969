import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, freePort, startProcess, type ServerProcess } from './server-process.js';

/** Options of `startRedisServer`. */
export interface RedisServerOptions {
  /** `appendonly yes` with `appendfsync always`: every acknowledged write survives a crash. @default false */
  appendonly?: boolean;
  /** Path of the redis-server binary. @default the first `redis-server` on PATH */
  binary?: string;
  /** Extra `--name value` arguments for redis-server. @default [] */
  args?: string[];
}

/** A redis-server started for tests: loopback only, in its own temporary directory. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** The data directory (removed by `stop`). */
  readonly dir: string;
  /** Stops the server (SIGKILL with `{ kill: true }`) and removes its directory. */
  stop(options?: { kill?: boolean }): Promise<void>;
  /** Stops the server (SIGKILL by default: a crash) and starts it again on the same port and directory. */
  restart(options?: { kill?: boolean; downSeconds?: number }): Promise<void>;
}

/**
 * The redis-server binary on PATH, or null: tests skip with a reason when it is missing.
 *
 * @example
 * ```ts runnable
 * import { findRedisServer } from 'nodevent/testing';
 * const skip = findRedisServer() === null ? 'redis-server not installed' : false;
 * ```
 */
export function findRedisServer(): string | null {
  return findBinary('redis-server');
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts a real `redis-server` on a free loopback port in a fresh temporary directory, with no
 * snapshots (`--save ''`), and resolves once it accepts connections.
 *
 * @example
 * ```ts runnable
 * import { startRedisServer } from 'nodevent/testing';
 * const server = await startRedisServer({ appendonly: true });
 * try { console.log('redis at', server.url); } finally { await server.stop(); }
 * ```
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = options.binary ?? findRedisServer();
  if (binary === null) throw new Error('redis-server was not found on PATH');
  const dir = await mkdtemp(join(tmpdir(), 'nodevent-redis-'));
  const port = await freePort();
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
    '--appendonly', options.appendonly ? 'yes' : 'no', '--daemonize', 'no', '--loglevel', 'warning',
    ...(options.appendonly ? ['--appendfsync', 'always'] : []),
    ...(options.args ?? []),
  ];
  let server: ServerProcess | null = null;

  const launch = async (): Promise<void> => {
    const proc = startProcess(binary, args);
    server = proc;
    for (let i = 0; i < 200; i++) {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) break;
      if (await canConnect(port)) return;
      await delay(25);
    }
    await proc.stop(true);
    throw new Error(`redis-server did not start on port ${port}: ${proc.output().trim()}`);
  };

  const halt = async (kill: boolean): Promise<void> => {
    const proc = server;
    server = null;
    await proc?.stop(kill);
  };

  try {
    await launch();
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    async stop({ kill = false } = {}) {
      await halt(kill);
      await rm(dir, { recursive: true, force: true });
    },
    async restart({ kill = true, downSeconds = 0 } = {}) {
      await halt(kill);
      if (downSeconds > 0) await delay(downSeconds * 1000);
      await launch();
    },
  };
}
