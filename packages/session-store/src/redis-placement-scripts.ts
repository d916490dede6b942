// The Lua scripts of placement and membership: which supervisor holds which
// (session, realm), and which supervisors are alive. Each step is one
// script, so Redis runs it atomically: a placement can never be taken from
// a host whose lease is live, and never be given to one whose lease is not.
//
// Layout under the store's prefix P (redis-scripts.ts has the session keys):
//   Pmembers        zset  host → lease end (ms, Redis's own clock)
//   Pmember:<host>  hash  inc (the process's incarnation), address, capacity, workers, draining
//   P{id}:state     hash  h:<realm> → host, e:<realm> → epoch, f:<realm> → "<host> <time>"
//                         of the failover that moved it (beside s:/t:, the saved state)
//   Pplacement      channel: "<sha1(id \0 realm)> <host> <epoch>" on every placement,
//                         hashed so that no session id travels on it
//
// Leases are counted on Redis's clock (TIME), never a host's, so that hosts
// whose clocks disagree still agree on whose lease is live. A supervisor
// counts its own lease from before it sent the renewal, so its end is never
// later than the one Redis keeps (cluster-directory.ts).
import { PRELUDE } from './redis-scripts.ts'
import type { RedisScript } from './redis-scripts.ts'

const CLOCK = `
local function clock ()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`

// ARGV[1] = P, [2] = host, [3] = incarnation, [4] = ttl ms, [5] = address,
// [6] = capacity, [7] = workers, [8] = draining 1|0.
const MEMBER = CLOCK + `
local P, host, inc, ttl = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local members, mk = P .. 'members', P .. 'member:' .. host
local now = clock()
local score = redis.call('ZSCORE', members, host)
local live = score and tonumber(score) > now
local cur = redis.call('HGET', mk, 'inc')
local function write ()
  redis.call('HSET', mk, 'inc', inc, 'address', ARGV[5], 'capacity', ARGV[6], 'workers', ARGV[7], 'draining', ARGV[8])
  redis.call('ZADD', members, now + ttl, host)
end
`

export const PLACEMENT_SCRIPTS = {
  // A new incarnation of a host. Refused while another incarnation of the
  // same host id holds a live lease: two processes must never both be it.
  // Answers {now, leaseEnd}.
  join: {
    name: 'sessiondMemberJoin',
    lua: MEMBER + `
if live and cur and cur ~= inc then return redis.error_reply('HOSTTAKEN') end
redis.call('DEL', mk)
write()
return {now, now + ttl}`
  },
  // Extends a live lease of this incarnation. Answers {1, now, leaseEnd},
  // or {0, now} when the lease had already run out (or another incarnation
  // took the host): the caller's workers must be gone by then, and it joins again.
  renew: {
    name: 'sessiondMemberRenew',
    lua: MEMBER + `
if not live or cur ~= inc then return {0, now} end
write()
return {1, now, now + ttl}`
  },
  // ARGV[1] = P, [2] = host, [3] = incarnation: a clean stop ends the lease
  // at once, so that gateways move its sessions without waiting for it.
  leave: {
    name: 'sessiondMemberLeave',
    lua: `
local P, host, inc = ARGV[1], ARGV[2], ARGV[3]
if redis.call('HGET', P .. 'member:' .. host, 'inc') == inc then
  redis.call('ZREM', P .. 'members', host)
  redis.call('DEL', P .. 'member:' .. host)
end
return 1`
  },
  // ARGV[1] = P. Answers {now, host, leaseEnd, address, capacity, workers, draining, …}
  // for every live member; members dead for an hour are forgotten.
  members: {
    name: 'sessiondMembers',
    lua: CLOCK + `
local P = ARGV[1]
local members = P .. 'members'
local now = clock()
for _, h in ipairs(redis.call('ZRANGEBYSCORE', members, '-inf', now - 3600000)) do
  redis.call('ZREM', members, h)
  redis.call('DEL', P .. 'member:' .. h)
end
local out = {now}
local live = redis.call('ZRANGEBYSCORE', members, '(' .. now, '+inf', 'WITHSCORES')
for i = 1, #live, 2 do
  local f = redis.call('HMGET', P .. 'member:' .. live[i], 'address', 'capacity', 'workers', 'draining')
  out[#out + 1] = live[i]
  out[#out + 1] = live[i + 1]
  for j = 1, 4 do out[#out + 1] = f[j] or '' end
end
return out`
  },
  // The store's PRELUDE (ARGV[1..4] = P, id, now, idle cut-off), then
  // ARGV[5] = realm, [6] = the host to place it on, [7] = the epoch the
  // caller read (0 for none), [8] = mode: claim | move, [9] = for move, the
  // host that holds it now (the caller).
  // claim: the (session, realm) has no host, or its host's lease ran out (a
  // failover, recorded in f:<realm>); move: its host gives it away (drain,
  // migration). Either way the target's lease must be live and the epoch
  // the caller read must still be the current one; the epoch then rises by
  // one, and the fences of e:<realm> (redis-scripts.ts: apply, workerState)
  // refuse every later write made under an older one.
  // Answers {1, host, epoch} when placed, else {0, host, epoch, why} with
  // what is there now (why: moved | target | owner | live).
  place: {
    name: 'sessiondPlace',
    lua: PRELUDE + CLOCK + `
local m = live() if m.err then return m end
local state = key(id, 'state')
local realm, host, expect, mode, from = ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local cur = redis.call('HMGET', state, 'h:' .. realm, 'e:' .. realm)
local ch, ce = cur[1] or '', cur[2] or '0'
if tonumber(ce) ~= tonumber(expect) then return {0, ch, ce, 'moved'} end
local t = clock()
local function leased (h)
  local s = redis.call('ZSCORE', P .. 'members', h)
  return s and tonumber(s) > t
end
if not leased(host) or redis.call('HGET', P .. 'member:' .. host, 'draining') == '1' then return {0, ch, ce, 'target'} end
if mode == 'move' then
  if ch ~= from then return {0, ch, ce, 'owner'} end
elseif ch ~= '' and leased(ch) then
  return {0, ch, ce, 'live'}
end
local epoch = string.format('%d', tonumber(ce) + 1)
redis.call('HSET', state, 'h:' .. realm, host, 'e:' .. realm, epoch)
if mode ~= 'move' and ch ~= '' then redis.call('HSET', state, 'f:' .. realm, ch .. ' ' .. t) else redis.call('HDEL', state, 'f:' .. realm) end
redis.call('PEXPIREAT', state, m[1])
redis.call('PUBLISH', P .. 'placement', redis.sha1hex(id .. '\\0' .. realm) .. ' ' .. host .. ' ' .. epoch)
return {1, host, epoch}`
  }
} as const satisfies Record<string, RedisScript>
