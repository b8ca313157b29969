import { patchIoredis, unpatchIoredis } from './ioredis.js';
import { patchMysql2, unpatchMysql2 } from './mysql2.js';
import { patchPg, unpatchPg } from './pg.js';
import { patchRedis, unpatchRedis } from './redis.js';

export { patchIoredis, unpatchIoredis } from './ioredis.js';
export { patchMysql2, unpatchMysql2 } from './mysql2.js';
export { patchPg, unpatchPg } from './pg.js';
export { patchRedis, unpatchRedis } from './redis.js';

/**
 * Patches every supported pooled client the application loads (now or later): pg/pg-pool,
 * ioredis, node-redis and mysql2. `patchAll()` calls it (option `clients`).
 *
 * @example
 * ```ts runnable
 * import { patchClients } from 'nodevent/patch';
 * patchClients();
 * ```
 */
export function patchClients(): void {
  patchPg();
  patchIoredis();
  patchRedis();
  patchMysql2();
}

/**
 * Undoes `patchClients()`.
 *
 * @example
 * ```ts runnable
 * import { patchClients, unpatchClients } from 'nodevent/patch';
 * patchClients();
 * unpatchClients();
 * ```
 */
export function unpatchClients(): void {
  unpatchMysql2();
  unpatchRedis();
  unpatchIoredis();
  unpatchPg();
}
