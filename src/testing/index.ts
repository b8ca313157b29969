export { startDnsServer } from './dns-server.js';
export type { DnsRecord, DnsServer, DnsServerOptions } from './dns-server.js';
export { findDnsmasq, startDnsmasq } from './dnsmasq.js';
export type { Dnsmasq, DnsmasqOptions } from './dnsmasq.js';
export { createNetns, netnsUnavailable } from './netns.js';
export type { Netns } from './netns.js';
export { findRedisServer, startRedisServer } from './redis-server.js';
export type { RedisServer, RedisServerOptions } from './redis-server.js';
