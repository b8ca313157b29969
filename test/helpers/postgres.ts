import pg from 'pg';
import { findPostgres, startPostgresServer, type PostgresServer } from '../../src/testing/postgres-server.js';
import { outsideScope, sleep } from '../../src/runtime/index.js';

/** Why PostgreSQL tests skip here, or false. */
export const skipPostgres = findPostgres() === null ? 'PostgreSQL is not installed (Debian package postgresql)' : false;

/** A started server and an observer connection made outside every greenlet. */
export interface PgWorld {
  server: PostgresServer;
  /** Observes the server side: never touched by a kill. */
  observer: pg.Client;
  /** Backends currently running a statement matching `like` (from pg_stat_activity). */
  running(like: string): Promise<number>;
  /** Waits until `running(like)` equals `count`. */
  untilRunning(like: string, count: number): Promise<void>;
  /**
   * True once no backend runs a statement like `like`: long before a 60 s statement's own end,
   * with room for a loaded machine; bounded, so a statement left running fails instead of hanging.
   */
  stoppedSoon(like: string): Promise<boolean>;
  /** Client backends connected (not counting the observer). */
  backends(): Promise<number[]>;
}

export async function pgWorld(t: { teardown(fn: () => unknown): void }): Promise<PgWorld> {
  const server = await startPostgresServer();
  t.teardown(() => server.stop({ kill: true }));
  const observer = outsideScope(() => new pg.Client(server.url));
  await outsideScope(() => observer.connect());
  t.teardown(() => observer.end().catch(() => {}));
  const running = async (like: string): Promise<number> => {
    const { rows } = await outsideScope(() => observer.query(
      "select count(*)::int as n from pg_stat_activity where state = 'active' and pid <> pg_backend_pid() and query like $1", [like]));
    return rows[0].n as number;
  };
  return {
    server,
    observer,
    running,
    async untilRunning(like, count) {
      while ((await running(like)) !== count) await sleep(0.01);
    },
    async stoppedSoon(like) {
      for (let i = 0; i < 1500; i++) {
        if ((await running(like)) === 0) return true;
        await sleep(0.01);
      }
      return false;
    },
    async backends() {
      const { rows } = await outsideScope(() => observer.query(
        "select pid from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid() order by pid"));
      return rows.map((r: { pid: number }) => r.pid);
    },
  };
}
