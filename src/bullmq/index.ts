// nodevent/bullmq: BullMQ jobs as greenlets. The only entry point that loads bullmq (and, through
// it, ioredis): both are optional peer dependencies.
export { greenletProcessor } from './processor.js';
export type { GreenletProcessor, GreenletProcessorOptions, JobFunction } from './processor.js';
export { JobCancelled } from './errors.js';
export { waitUntilReady } from './ready.js';
export type { Connectable, WaitUntilReadyOptions } from './ready.js';
export { RedisConnectionError } from '../redis/errors.js';
