import { patchPg, unpatchPg } from './pg.js';

export { patchPg, unpatchPg } from './pg.js';

/**
 * Patches every supported pooled client the application loads (now or later): pg/pg-pool,
 * ioredis, node-redis and mysql2. `patchAll()` calls it (option `clients`).
 *
 * @example
 * ```ts
 * import { patchClients } from 'nodevent/patch';
 * patchClients();
 * ```
 */
export function patchClients(): void {
  patchPg();
}

/**
 * Undoes `patchClients()`.
 *
 * @example
 * ```ts
 * import { patchClients, unpatchClients } from 'nodevent/patch';
 * patchClients();
 * unpatchClients();
 * ```
 */
export function unpatchClients(): void {
  unpatchPg();
}
