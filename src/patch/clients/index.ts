import { patchIoredis, unpatchIoredis } from './ioredis.js';
import { patchPg, unpatchPg } from './pg.js';
import { patchRedis, unpatchRedis } from './redis.js';

export { patchIoredis, unpatchIoredis } from './ioredis.js';
export { patchPg, unpatchPg } from './pg.js';
export { patchRedis, unpatchRedis } from './redis.js';

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
  patchIoredis();
  patchRedis();
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
  unpatchRedis();
  unpatchIoredis();
  unpatchPg();
}
