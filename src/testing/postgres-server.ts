import { chown, mkdtemp, rm } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { findBinary, freePort, readyToServe, run, startProcess } from './server-process.js';

/** A PostgreSQL server started for tests: loopback only, trust authentication, in a temporary directory. */
export interface PostgresServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The superuser to connect as (`postgres`), no password. */
  readonly user: string;
  readonly database: string;
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string;
  /** Stops the server (SIGKILL with `{ kill: true }`) and removes its directory. */
  stop(options?: { kill?: boolean }): Promise<void>;
}

function postgresBinDirs(): string[] {
  try {
    return readdirSync('/usr/lib/postgresql').map((version) => `/usr/lib/postgresql/${version}/bin`);
  } catch {
    return [];
  }
}

/**
 * The directory holding `initdb` and `postgres`, or null: tests skip with a reason when it is
 * missing (Debian package `postgresql`).
 *
 * @example
 * ```ts runnable
 * import { findPostgres } from 'nodevent/testing';
 * const skip = findPostgres() === null ? 'postgresql not installed' : false;
 * ```
 */
export function findPostgres(): string | null {
  const initdb = findBinary('initdb', postgresBinDirs());
  if (initdb === null) return null;
  const dir = initdb.slice(0, -'/initdb'.length);
  return findBinary('postgres', [dir]) === null ? null : dir;
}

function postgresUser(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  // postgres refuses to run as root: run it as the `postgres` account the Debian package creates.
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

/**
 * Starts a real PostgreSQL on a free 127.0.0.1 port: `initdb` in a fresh temporary directory
 * (trust authentication, no fsync), then `postgres` (as the `postgres` user when the test runs
 * as root). Resolves once it accepts queries. The server runs in its own process group and is
 * killed when the test process exits, also on a timeout.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { startPostgresServer } from 'nodevent/testing';
 * const server = await startPostgresServer();
 * const client = new pg.Client(server.url);
 * try { await client.connect(); await client.query('select 1'); } finally { await client.end(); await server.stop(); }
 * ```
 */
export async function startPostgresServer(): Promise<PostgresServer> {
  const bin = findPostgres();
  if (bin === null) throw new Error('initdb/postgres were not found (install the Debian package postgresql)');
  const dir = await mkdtemp(join(tmpdir(), 'nodevent-pg-'));
  const owner = postgresUser();
  try {
    if (owner !== undefined) await chown(dir, owner.uid, owner.gid);
    const data = join(dir, 'data');
    await run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'], { ...owner, cwd: dir });
    const port = await freePort();
    const server = startProcess(join(bin, 'postgres'), [
      '-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1',
      '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200',
    ], { ...owner, cwd: dir });
    const stop = await readyToServe(server, /ready to accept connections/, dir);
    return {
      host: '127.0.0.1',
      port,
      user: 'postgres',
      database: 'postgres',
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      stop,
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
