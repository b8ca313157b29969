import type { Client } from './connection.js';
import type { QueueKeys } from './scripts.js';

/** An item that went back to pending because its consumer's lease expired. */
export interface ExpiredItem<T> {
  item: T;
  consumer: string;
  /** When it was taken and when it was given back, in ms since the epoch (server clock). */
  takenAt: number | null;
  requeuedAt: number;
}

/** An item marked failed with `taskFailed`. */
export interface FailedItem<T> {
  item: T;
  reason: string;
  at: number;
}

/** What `stats()` returns. */
export interface RedisQueueStats<T> {
  pending: number;
  working: number;
  done: number;
  failed: number;
  /** Items put and not yet marked done (what `join` waits for). */
  unfinished: number;
  /** How many times an item was given back to pending by the reaper. */
  requeued: number;
  consumers: string[];
  /** The last (up to 100) items given back by the reaper: their consumer died or stalled. */
  expired: ExpiredItem<T>[];
  /** The last (up to 100) items marked failed. */
  failedItems: FailedItem<T>[];
  /** Items held longer than `options.longerThan` seconds (all held items without it), oldest first. */
  running: { item: T; takenAt: number }[];
}

/**
 * Reads a queue's counts and recent history in one round of commands (the working lists of every
 * consumer after it). `decode` turns a stored entry back into its item.
 */
export async function readStats<T>(c: Client, k: QueueKeys, base: string, longerMs: number, decode: (entry: string) => T): Promise<RedisQueueStats<T>> {
  const [pending, done, failed, unfinished, requeued, consumers, expired, failedItems, taken, time] = await Promise.all([
    c.sendCommand(['LLEN', k.pending]), c.sendCommand(['GET', k.done]), c.sendCommand(['GET', k.failedCount]),
    c.sendCommand(['GET', k.unfinished]), c.sendCommand(['GET', k.requeued]), c.sendCommand(['SMEMBERS', k.consumers]),
    c.sendCommand(['LRANGE', k.expired, '0', '-1']), c.sendCommand(['LRANGE', k.failed, '0', '-1']),
    c.sendCommand(['HGETALL', k.taken]), c.sendCommand(['TIME']),
  ]) as unknown as [number, string | null, string | null, string | null, string | null, string[], string[], string[], unknown, string[]];
  let working = 0;
  for (const consumer of consumers) working += Number(await c.sendCommand(['LLEN', `${base}working:${consumer}`]));
  const now = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
  const pairs: [string, string][] = Array.isArray(taken)
    ? Array.from({ length: taken.length / 2 }, (_, i) => [taken[2 * i] as string, taken[2 * i + 1] as string])
    : Object.entries(taken as Record<string, string>);
  const running = pairs
    .map(([entry, at]) => ({ entry, takenAt: Number(at) }))
    .filter((r) => now - r.takenAt >= longerMs)
    .sort((a, b) => a.takenAt - b.takenAt)
    .map((r) => ({ item: decode(r.entry), takenAt: r.takenAt }));
  return {
    pending: Number(pending), working, done: Number(done ?? 0), failed: Number(failed ?? 0),
    unfinished: Number(unfinished ?? 0), requeued: Number(requeued ?? 0), consumers,
    expired: expired.map((s) => {
      const e = JSON.parse(s) as { entry: string; consumer: string; takenAt?: number; requeuedAt: number };
      return { item: decode(e.entry), consumer: e.consumer, takenAt: e.takenAt ?? null, requeuedAt: e.requeuedAt };
    }),
    failedItems: failedItems.map((s) => {
      const e = JSON.parse(s) as { entry: string; reason: string; at: number };
      return { item: decode(e.entry), reason: e.reason, at: e.at };
    }),
    running,
  };
}
