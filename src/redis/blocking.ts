import { outsideScope } from '../runtime/scope.js';
import { connectClient, newClient, type Client, type Connection } from './connection.js';

/** A connection that waits in a blocking pop, and the id the server knows it by. */
export interface Blocker {
  client: Client;
  id: number;
}

/**
 * The one connection of a RedisQueue consumer that waits in BLMOVE. A blocking pop holds its
 * connection, so it has its own; killing it (CLIENT KILL from the command connection, then
 * destroy) is how a getter that was killed stops waiting at once, before the server can move an
 * item to it.
 */
export class BlockingConnection {
  readonly #connection: Connection;
  readonly #control: () => Client | null;
  #current: Blocker | null = null;

  /** `control()` is the queue's command connection, which sends the CLIENT KILL. */
  constructor(connection: Connection, control: () => Client | null) {
    this.#connection = connection;
    this.#control = control;
  }

  /** The blocking connection now, or null when none is open. */
  get current(): Blocker | null {
    return this.#current;
  }

  /** The open blocking connection, connected on first use and again after it was lost. */
  async get(): Promise<Blocker> {
    if (this.#current !== null) {
      if (this.#current.client.isReady) return this.#current;
      this.kill(); // its connection was lost while idle (a Redis restart): it does not reconnect
    }
    const client = newClient(this.#connection, false);
    await outsideScope(() => connectClient(client));
    const id = Number(await client.sendCommand(['CLIENT', 'ID']));
    return (this.#current = { client, id });
  }

  /** Ends the blocking pop at once: the server drops the connection before any later command. */
  kill(): void {
    const blocker = this.#current;
    if (blocker === null) return;
    this.#current = null;
    // A connection already lost is gone on the server too; after a restart its id may even
    // belong to another client, so it is not killed by id.
    if (!blocker.client.isOpen) return;
    this.#control()?.sendCommand(['CLIENT', 'KILL', 'ID', String(blocker.id)]).catch(() => {});
    blocker.client.destroy();
  }
}
