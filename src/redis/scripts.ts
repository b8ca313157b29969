import { Script } from './connection.js';

// The Lua scripts of RedisQueue: every step that moves an item between its lists runs as one
// script, so no crash or lost reply between two commands can lose or duplicate an item. The keys
// are all under `prefix + name + ':'`; `queueKeys` names them.

/** The keys of one queue as seen by one consumer (its working list, lease and claims are its own). */
export type QueueKeys = Record<'pending' | 'working' | 'lease' | 'claims' | 'consumers' | 'unfinished' | 'done' | 'taken'
  | 'shutdown' | 'expired' | 'requeued' | 'failed' | 'failedCount', string>;

/** The keys of the queue whose keys start with `base`, for `consumer`. */
export function queueKeys(base: string, consumer: string): QueueKeys {
  const k = (part: string): string => base + part;
  return {
    pending: k('pending'), working: k(`working:${consumer}`), lease: k(`lease:${consumer}`),
    claims: k(`claims:${consumer}`),
    consumers: k('consumers'), unfinished: k('unfinished'), done: k('done'), taken: k('taken'),
    shutdown: k('shutdown'), expired: k('expired'), requeued: k('requeued'), failed: k('failed'),
    failedCount: k('failed-count'),
  };
}

// KEYS: pending, unfinished, shutdown. ARGV: entry, maxsize. → 1 put, 0 full, -1 shut down.
export const PUT = new Script(`
if redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
local max = tonumber(ARGV[2])
if max > 0 and redis.call('LLEN', KEYS[1]) >= max then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('INCR', KEYS[2])
return 1`);

// KEYS: pending, working, taken, lease, consumers, shutdown, claims. ARGV: lease ms, consumer id,
// claim token, then the tokens of earlier takes whose replies arrived. Takes the next item without
// blocking and renews the lease in the same step → entry, -1 (shut down and empty) or nil. The
// entry is recorded under the claim token, so a TAKE sent again after its reply was lost (the
// server crashed after persisting the move) answers the same entry instead of moving a second one
// that nobody would know it holds.
export const TAKE = new Script(`
redis.call('SET', KEYS[4], '1', 'PX', ARGV[1])
redis.call('SADD', KEYS[5], ARGV[2])
if #ARGV > 3 then redis.call('HDEL', KEYS[7], unpack(ARGV, 4)) end
local claimed = redis.call('HGET', KEYS[7], ARGV[3])
if claimed then return claimed end
local entry = redis.call('LMOVE', KEYS[1], KEYS[2], 'LEFT', 'RIGHT')
if entry then
  local t = redis.call('TIME')
  redis.call('HSET', KEYS[3], entry, t[1] * 1000 + math.floor(t[2] / 1000))
  redis.call('HSET', KEYS[7], ARGV[3], entry)
  return entry
end
if redis.call('EXISTS', KEYS[6]) == 1 then return -1 end
return false`);

// KEYS: working, pending, unfinished, done, taken, failed list, failed count. ARGV: entry, reason
// ('' = success). Only an entry actually removed counts: a retried or duplicate taskDone never
// decrements twice. An entry the reaper already gave back is taken out of pending again.
export const DONE = new Script(`
local n = redis.call('LREM', KEYS[1], 1, ARGV[1])
if n == 0 then n = redis.call('LREM', KEYS[2], 1, ARGV[1]) end
if n == 0 then return 0 end
redis.call('HDEL', KEYS[5], ARGV[1])
redis.call('DECR', KEYS[3])
if ARGV[2] == '' then
  redis.call('INCR', KEYS[4])
else
  local t = redis.call('TIME')
  redis.call('INCR', KEYS[7])
  redis.call('LPUSH', KEYS[6], cjson.encode({entry = ARGV[1], reason = ARGV[2], at = t[1] * 1000 + math.floor(t[2] / 1000)}))
  redis.call('LTRIM', KEYS[6], 0, 99)
end
return 1`);

// KEYS: working, pending, taken, claims. ARGV: entries this consumer knows it holds. Gives back,
// to the head of pending, every entry of the working list not in ARGV: an item moved by a pop
// whose reply never arrived (greenlet killed, connection lost). Pending claims are dropped with it.
export const RECONCILE = new Script(`
redis.call('DEL', KEYS[4])
local held = {}
for i = 1, #ARGV do held[ARGV[i]] = (held[ARGV[i]] or 0) + 1 end
local n = 0
for _, entry in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  if (held[entry] or 0) > 0 then
    held[entry] = held[entry] - 1
  else
    redis.call('LREM', KEYS[1], 1, entry)
    redis.call('LPUSH', KEYS[2], entry)
    redis.call('HDEL', KEYS[3], entry)
    n = n + 1
  end
end
return n`);

// KEYS: working, pending, taken. ARGV: entry. Gives one held item back at once.
export const REQUEUE = new Script(`
if redis.call('LREM', KEYS[1], 1, ARGV[1]) > 0 then
  redis.call('LPUSH', KEYS[2], ARGV[1])
  redis.call('HDEL', KEYS[3], ARGV[1])
end
return 1`);

// KEYS: consumers, pending, expired, taken, requeued. ARGV: key prefix. For every consumer whose
// lease key is gone, moves its working list back to the head of pending, oldest first.
export const REAP = new Script(`
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local n = 0
for _, c in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. 'lease:' .. c) == 0 then
    local w = ARGV[1] .. 'working:' .. c
    while true do
      local entry = redis.call('LMOVE', w, KEYS[2], 'RIGHT', 'LEFT')
      if not entry then break end
      local taken = redis.call('HGET', KEYS[4], entry)
      redis.call('HDEL', KEYS[4], entry)
      redis.call('LPUSH', KEYS[3], cjson.encode({entry = entry, consumer = c, takenAt = tonumber(taken), requeuedAt = now}))
      redis.call('INCR', KEYS[5])
      n = n + 1
    end
    redis.call('LTRIM', KEYS[3], 0, 99)
    redis.call('DEL', ARGV[1] .. 'claims:' .. c)
    redis.call('SREM', KEYS[1], c)
  end
end
return n`);

// KEYS: shutdown, pending, unfinished. ARGV: '1' when immediate.
export const SHUTDOWN = new Script(`
redis.call('SET', KEYS[1], '1')
if ARGV[1] == '1' then
  local n = redis.call('LLEN', KEYS[2])
  redis.call('DEL', KEYS[2])
  if n > 0 then redis.call('DECRBY', KEYS[3], n) end
  return n
end
return 0`);
