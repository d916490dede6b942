// The Lua scripts of the Redis backend: each locking step is one script, so
// Redis runs it atomically and no check-then-write race is possible.
//
// Layout under a prefix P (default "sessiond:"):
//   P{id}:meta   hash  user created expires seen fence token until owner
//   P{id}:data   hash  key → value
//   P{id}:state  hash  s:<realm> → worker state (JSON), e:<realm> → its epoch;
//                      apart from :data, so no data script ever reads or writes it
//   Pexpiry      zset  id scored by absolute expiry  (gc)
//   Pseen        zset  id scored by last use         (gc of idle sessions)
// Key names are computed inside the scripts from the prefix, which a Redis
// Cluster would refuse: the backend targets one Redis server (with replicas).
//
// Every script takes ARGV[1] = prefix, ARGV[2] = id, ARGV[3] = now,
// ARGV[4] = idle cut-off (a session last seen at or before it has expired).
// Times come from the caller's clock, as in the other backends.
//
// The scripts that end an id (destroy, move, gc) PUBLISH "<origin> <id>" on
// P .. "session-end" in the same atomic step (redis-end-channel.ts): no host
// can end a session without every subscribed host hearing of it.

const PRELUDE = `
local P, id, now, cut = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local function key (x, part)
  return P .. '{' .. x .. '}:' .. part
end
local meta, data = key(id, 'meta'), key(id, 'data')
local function live ()
  local m = redis.call('HMGET', meta, 'expires', 'seen', 'token', 'until')
  if not m[1] or tonumber(m[1]) <= now or tonumber(m[2]) <= cut then
    return redis.error_reply('NOSESSION')
  end
  return m
end
local function held (m)
  return m[3] and tonumber(m[4]) > now
end
-- The rule of apply and move, as checkLock (locking-backend.ts) has it: nil
-- when the step may go on, else its answer. An empty step whose lock is
-- gone is a no-op.
local function guard (m, token, empty)
  if token == '' then
    if held(m) then return {0, m[4]} end
  elseif not held(m) or m[3] ~= token then
    if empty then return {1} end
    return redis.error_reply('LOCKLOST')
  end
  return nil
end
local function seen ()
  redis.call('HSET', meta, 'seen', now)
  redis.call('ZADD', P .. 'seen', now, id)
end
-- Deletes x's keys and index entries; answers how many there were.
local function drop (x)
  return redis.call('ZREM', P .. 'expiry', x) + redis.call('ZREM', P .. 'seen', x) + redis.call('DEL', key(x, 'meta'), key(x, 'data'), key(x, 'state'))
end
local function ended (origin, x)
  redis.call('PUBLISH', P .. 'session-end', origin .. ' ' .. x)
end
`

/** A script: its source and how ioredis names it once defined. */
export interface RedisScript { name: string, lua: string }

export const SCRIPTS = {
  // id is unused; ARGV[5…] = id, time pairs: the last use of each session
  // that was live at its time moves forward to it; the others are skipped.
  touch: {
    name: 'sessiondTouch',
    lua: PRELUDE + `
local idle = now - cut
for i = 5, #ARGV, 2 do
  local x, t = ARGV[i], tonumber(ARGV[i + 1])
  local mk = key(x, 'meta')
  local m = redis.call('HMGET', mk, 'expires', 'seen')
  -- Live when it was touched (the touch is what kept it alive since), and never moved back.
  if m[1] and tonumber(m[1]) > t and tonumber(m[2]) > t - idle and t > tonumber(m[2]) then
    redis.call('HSET', mk, 'seen', t)
    redis.call('ZADD', P .. 'seen', t, x)
  end
end
return 1`
  },
  // ARGV[5] = lease ms, ARGV[6] = owner (a nonce of the caller). Answers
  // {1, token} or {0, lockedUntil}. The owner lets a caller whose answer
  // was lost (the connection dropped) release the lock it may hold: unlock.
  lock: {
    name: 'sessiondLock',
    lua: PRELUDE + `
local m = live() if m.err then return m end
if held(m) then return {0, m[4]} end
local token = redis.call('HINCRBY', meta, 'fence', 1)
redis.call('HSET', meta, 'token', token, 'until', now + tonumber(ARGV[5]), 'owner', ARGV[6])
seen()
return {1, token}`
  },
  // ARGV[5] = owner. Releases the lock only while that owner holds it.
  unlock: {
    name: 'sessiondUnlock',
    lua: PRELUDE + `
if redis.call('HGET', meta, 'owner') == ARGV[5] then redis.call('HDEL', meta, 'token', 'until', 'owner') end
return 1`
  },
  // ARGV[5] = token or '', ARGV[6] = release 1|0, ARGV[7] = clear 1|0,
  // ARGV[8] = number of keys to delete, then those keys, then key, value pairs.
  // Answers {1} when applied (or nothing to do), {0, lockedUntil} when busy.
  apply: {
    name: 'sessiondApply',
    lua: PRELUDE + `
local m = live() if m.err then return m end
local token, release, clear, ndel = ARGV[5], ARGV[6] == '1', ARGV[7] == '1', tonumber(ARGV[8])
local refused = guard(m, token, not clear and ndel == 0 and #ARGV == 8 + ndel)
if refused then return refused end
if clear then redis.call('DEL', data) end
for i = 9, 8 + ndel do redis.call('HDEL', data, ARGV[i]) end
for i = 9 + ndel, #ARGV, 2 do redis.call('HSET', data, ARGV[i], ARGV[i + 1]) end
if redis.call('EXISTS', data) == 1 then
  redis.call('PEXPIREAT', data, m[1])
end
seen()
if release and token ~= '' then redis.call('HDEL', meta, 'token', 'until', 'owner') end
return {1}`
  },
  // ARGV[5] = token or '', ARGV[6] = the new id, ARGV[7] = origin. Answers {1} or {0, lockedUntil}.
  move: {
    name: 'sessiondMove',
    lua: PRELUDE + `
local m = live() if m.err then return m end
local fresh = ARGV[6]
local refused = guard(m, ARGV[5], false)
if refused then return refused end
redis.call('RENAME', meta, key(fresh, 'meta'))
if redis.call('EXISTS', data) == 1 then redis.call('RENAME', data, key(fresh, 'data')) end
if redis.call('EXISTS', key(id, 'state')) == 1 then redis.call('RENAME', key(id, 'state'), key(fresh, 'state')) end
for _, idx in ipairs({P .. 'expiry', P .. 'seen'}) do
  local score = redis.call('ZSCORE', idx, id)
  redis.call('ZREM', idx, id)
  if score then redis.call('ZADD', idx, score, fresh) end
end
ended(ARGV[7], id)
return {1}`
  },
  // ARGV[5] = op: get|exists|keys|all|state, ARGV[6] = key (the realm for state).
  read: {
    name: 'sessiondRead',
    lua: PRELUDE + `
local m = live() if m.err then return m end
local op = ARGV[5]
if op == 'get' then return {redis.call('HGET', data, ARGV[6])} end
if op == 'exists' then return redis.call('HEXISTS', data, ARGV[6]) end
if op == 'keys' then return redis.call('HKEYS', data) end
if op == 'state' then return {redis.call('HGET', key(id, 'state'), 's:' .. ARGV[6])} end
return redis.call('HGETALL', data)`
  },
  // ARGV[5] = realm, ARGV[6] = epoch or '', ARGV[7] = the state's JSON (absent: drop it).
  // The fencing rule of fencedEpoch (worker-state.ts): a lower epoch than
  // the stored one is refused. Epochs stay strings: Lua would print a large
  // number in exponent form.
  workerState: {
    name: 'sessiondWorkerState',
    lua: PRELUDE + `
local m = live() if m.err then return m end
local state, realm, given = key(id, 'state'), ARGV[5], ARGV[6]
local stored = redis.call('HGET', state, 'e:' .. realm) or '0'
local epoch = stored
if given ~= '' then
  if tonumber(given) < tonumber(stored) then return redis.error_reply('STALEEPOCH') end
  epoch = given
end
if ARGV[7] then
  redis.call('HSET', state, 's:' .. realm, ARGV[7], 'e:' .. realm, epoch)
else
  redis.call('HDEL', state, 's:' .. realm)
  -- A drop keeps a non-zero epoch behind, so that a stale save after it is still refused.
  if tonumber(epoch) == 0 then redis.call('HDEL', state, 'e:' .. realm) else redis.call('HSET', state, 'e:' .. realm, epoch) end
end
if redis.call('EXISTS', state) == 1 then redis.call('PEXPIREAT', state, m[1]) end
return 1`
  },
  // ARGV[5] = origin. Answers 1 when the session existed, even expired (as
  // an SQLite row does until gc): an id still indexed was never reported ended.
  destroy: {
    name: 'sessiondDestroy',
    lua: PRELUDE + `
if drop(id) == 0 then return 0 end
ended(ARGV[5], id)
return 1`
  },
  // id is unused; ARGV[5] = origin. Answers the ids it removed.
  gc: {
    name: 'sessiondGc',
    lua: PRELUDE + `
local gone = {}
for _, x in ipairs(redis.call('ZRANGEBYSCORE', P .. 'expiry', '-inf', now)) do gone[x] = true end
for _, x in ipairs(redis.call('ZRANGEBYSCORE', P .. 'seen', '-inf', cut)) do gone[x] = true end
-- An id still in the indexes was never reported ended, even when Redis already
-- dropped its meta key at the absolute expiry (PEXPIREAT): report it now.
local out = {}
for x in pairs(gone) do
  drop(x)
  out[#out + 1] = x
  ended(ARGV[5], x)
end
return out`
  }
} as const satisfies Record<string, RedisScript>
