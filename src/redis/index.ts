export { RedisQueue } from './queue.js';
export type { RedisQueueOptions, RedisQueueStats, ExpiredItem, FailedItem } from './queue.js';
export { RedisPubSub, Subscription } from './pubsub.js';
export type { RedisPubSubOptions, PubSubMessage } from './pubsub.js';
export { jsonCodec, stringCodec, bytesCodec } from './codec.js';
export type { Codec, CodecOption } from './codec.js';
export type { ConnectionOptions } from './connection.js';
export { Full, Empty, ShutDown } from '../runtime/queue-errors.js';
export { RedisConnectionError } from './errors.js';
