import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, freePort, readyToServe, run, startProcess } from './server-process.js';

/** A MariaDB server started for tests: loopback only, user `root` without password, in a temporary directory. */
export interface MariadbServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** `root`, no password. */
  readonly user: string;
  /** Stops the server (SIGKILL with `{ kill: true }`) and removes its directory. */
  stop(options?: { kill?: boolean }): Promise<void>;
}

const SBIN = ['/usr/sbin', '/usr/local/sbin', '/usr/bin'];

/**
 * The `mariadb-install-db` and `mariadbd` binaries, or null: tests skip with a reason when they
 * are missing (Debian package `mariadb-server`).
 *
 * @example
 * ```ts runnable
 * import { findMariadb } from 'nodevent/testing';
 * const skip = findMariadb() === null ? 'mariadb-server not installed' : false;
 * ```
 */
export function findMariadb(): { installDb: string; server: string } | null {
  const installDb = findBinary('mariadb-install-db', SBIN);
  const server = findBinary('mariadbd', SBIN);
  return installDb === null || server === null ? null : { installDb, server };
}

/**
 * Starts a real MariaDB on a free 127.0.0.1 port: `mariadb-install-db` into a fresh temporary
 * directory, then `mariadbd --user=root` with networking on loopback only. Resolves once it is
 * ready for connections. The server runs in its own process group and is killed when the test
 * process exits, also on a timeout.
 *
 * @example
 * ```ts
 * import mysql from 'mysql2/promise';
 * import { startMariadbServer } from 'nodevent/testing';
 * const server = await startMariadbServer();
 * const conn = await mysql.createConnection({ host: server.host, port: server.port, user: server.user });
 * try { await conn.query('select 1'); } finally { await conn.end(); await server.stop(); }
 * ```
 */
export async function startMariadbServer(): Promise<MariadbServer> {
  const binaries = findMariadb();
  if (binaries === null) throw new Error('mariadb-install-db/mariadbd were not found (install the Debian package mariadb-server)');
  const dir = await mkdtemp(join(tmpdir(), 'nodevent-mariadb-'));
  try {
    const data = join(dir, 'data');
    await run(binaries.installDb, ['--no-defaults', `--datadir=${data}`, '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db'], { cwd: dir });
    const port = await freePort();
    const server = startProcess(binaries.server, [
      '--no-defaults', `--datadir=${data}`, `--port=${port}`, '--bind-address=127.0.0.1', '--skip-networking=0',
      `--socket=${join(dir, 'mariadb.sock')}`, `--pid-file=${join(dir, 'mariadb.pid')}`, '--user=root', '--skip-log-bin',
      '--skip-name-resolve', '--innodb-buffer-pool-size=16M', '--max-connections=300',
    ], { cwd: dir });
    const stop = await readyToServe(server, /ready for connections/, dir);
    return { host: '127.0.0.1', port, user: 'root', stop };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
