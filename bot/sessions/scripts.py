"""The Lua scripts of the hot path. Each runs atomically in Redis, so a process that dies between
two of them leaves either nothing or a whole step behind. Keys are named in bot/sessions/keys.py;
a script's chat keys share the chat's hash tag. APPEND and ENQUEUE also signal the work stream
(`wb:{journal}:work`): those two need one Redis server (or one Cluster slot for everything).

Items in a chat's lists carry an 8-byte prefix: the message id's digest in `inbox`, a random id
in `out`, so a script can check that the head it removes is the one that was handled."""

from __future__ import annotations

# Message ids already handled: one sorted set per chat (`seen`), member an 8-byte digest of the
# id, score the second it came in. Ids older than the window are pruned, and only the last
# `cap` are kept: a compact listpack of ~16 bytes per message.
_FIRST_TIME = """
local function first_time(key, id, now, window, cap)
  if redis.call('ZSCORE', key, id) then return false end
  redis.call('ZADD', key, now, id)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window / 1000)
  local extra = redis.call('ZCARD', key) - cap
  if extra > 0 then redis.call('ZREMRANGEBYRANK', key, 0, extra - 1) end
  redis.call('PEXPIRE', key, window)
  return true
end
"""

# The webhook's write: the message joins its chat's inbox and the work stream says so.
# KEYS: seen, inbox, work.  ARGV: digest, item, channel, chat id, inbox ms.
# 0: already handled (a redelivery), 1: appended.
APPEND = """
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('XADD', KEYS[3], '*', 'c', ARGV[3], 'k', ARGV[4])
return 1
"""

_SEEN_FLAGS = """
local function flags(seen, items)
  local out = {}
  for i, item in ipairs(items) do
    out[i] = redis.call('ZSCORE', seen, string.sub(item, 1, 8)) and 1 or 0
  end
  return out
end
"""

# Lock the chat and load it with the head of its inbox. KEYS: lock, session, known, where,
# inbox, seen.  ARGV: token, lock ms, items.  nil: the chat is busy. {}: nothing waits (the lock
# is let go at once). {session, known, where, items, seen flags}: locked and loaded.
CLAIM = (
    _SEEN_FLAGS
    + """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return false end
local items = redis.call('LRANGE', KEYS[5], 0, tonumber(ARGV[3]) - 1)
if #items == 0 then
  redis.call('DEL', KEYS[1])
  return {}
end
return {redis.call('GET', KEYS[2]), redis.call('GET', KEYS[3]), redis.call('GET', KEYS[4]),
        items, flags(KEYS[6], items)}
"""
)

# More of the inbox, for the holder of the lock. KEYS: lock, inbox, seen.  ARGV: token, start,
# stop.  nil: the lock is not ours any more. {items, seen flags}.
PEEK = (
    _SEEN_FLAGS
    + """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
local items = redis.call('LRANGE', KEYS[2], ARGV[2], ARGV[3])
return {items, flags(KEYS[3], items)}
"""
)

# One turn's end, all or nothing: save the session, mark its messages handled and take them off
# the inbox, queue the replies, and let the chat go when its inbox is empty; then (as TAKE does)
# start sending its replies when no other process is, saving that round trip.
# KEYS: lock, session, known, where, inbound_at, seen, inbox, out, sending.
# ARGV: 1 token, 2 messages handled, 3 their digests (8 bytes each), 4 's' save / 'd' delete /
#       'k' keep the session as it is, 5 session, 6 session ms, 7 known ms, 8 where ('' deletes),
#       9 where ms, 10 inbound time ('' leaves it), 11 inbound ms, 12 now (s), 13 seen ms,
#       14 seen cap, 15 lock ms, 16 out ms, 17 send token ('' does not send), 18 lease ms,
#       19 replies read, 20... replies.
# -1: the lock is not ours (nothing written). -2: the inbox does not start with these messages.
# Otherwise {messages still waiting in the inbox, nil or the first replies to send (once none
# wait: {} when the queue is empty, nil when another process is sending)}.
FINISH = (
    _FIRST_TIME
    + """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local count = tonumber(ARGV[2])
local heads = redis.call('LRANGE', KEYS[7], 0, count - 1)
if #heads ~= count then return -2 end
for i = 1, count do
  if string.sub(heads[i], 1, 8) ~= string.sub(ARGV[3], i * 8 - 7, i * 8) then return -2 end
end
if ARGV[4] == 's' then
  redis.call('SET', KEYS[2], ARGV[5], 'PX', ARGV[6])
  redis.call('SET', KEYS[3], '1', 'PX', ARGV[7])
  if ARGV[8] == '' then
    redis.call('DEL', KEYS[4])
  else
    redis.call('SET', KEYS[4], ARGV[8], 'PX', ARGV[9])
  end
elseif ARGV[4] == 'd' then
  redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
end
if ARGV[10] ~= '' then redis.call('SET', KEYS[5], ARGV[10], 'PX', ARGV[11]) end
local now, window, cap = tonumber(ARGV[12]), tonumber(ARGV[13]), tonumber(ARGV[14])
for i = 1, count do first_time(KEYS[6], string.sub(ARGV[3], i * 8 - 7, i * 8), now, window, cap) end
redis.call('LTRIM', KEYS[7], count, -1)
if #ARGV > 19 then
  redis.call('RPUSH', KEYS[8], unpack(ARGV, 20))
  redis.call('PEXPIRE', KEYS[8], ARGV[16])
end
local left = redis.call('LLEN', KEYS[7])
if left > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[15])
  return {left, false}
end
redis.call('DEL', KEYS[1])
if ARGV[17] == '' or not redis.call('SET', KEYS[9], ARGV[17], 'NX', 'PX', ARGV[18]) then
  return {0, false}
end
local items = redis.call('LRANGE', KEYS[8], 0, tonumber(ARGV[19]) - 1)
if #items == 0 then redis.call('DEL', KEYS[9]) end
return {0, items}
"""
)

# Start sending a chat's queued replies. KEYS: sending, out.  ARGV: token, lease ms, items.
# nil: another process is sending them. Otherwise the first replies ({}: none, lease let go).
TAKE = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return false end
local items = redis.call('LRANGE', KEYS[2], 0, tonumber(ARGV[3]) - 1)
if #items == 0 then redis.call('DEL', KEYS[1]) end
return items
"""

# A reply has been sent (or refused for good): off the queue. KEYS: sending, out.  ARGV: token,
# reply id, lease ms, items wanted next.  nil: the lease is not ours. {left, next replies}; at 0
# left the lease is let go.
SENT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
local head = redis.call('LINDEX', KEYS[2], 0)
if head and string.sub(head, 1, 8) == ARGV[2] then redis.call('LPOP', KEYS[2]) end
local left = redis.call('LLEN', KEYS[2])
if left == 0 then
  redis.call('DEL', KEYS[1])
  return {0, {}}
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local n = tonumber(ARGV[4])
if n == 0 then return {left, {}} end
return {left, redis.call('LRANGE', KEYS[2], 0, n - 1)}
"""

# A reply further down the queue is done with (a template's stand-in that went ahead of replies
# held for WhatsApp's window): taken out wherever it stands. KEYS: sending, out.  ARGV: token,
# reply id.  nil: the lease is not ours. 1: taken out, 0: not there (any more).
TAKE_OUT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
for _, item in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
  if string.sub(item, 1, 8) == ARGV[2] then return redis.call('LREM', KEYS[2], 1, item) end
end
return 0
"""

# Queue replies that are not a turn's (a notification), at most once per idempotency key.
# KEYS: keys, out, work.  ARGV: key ('' none), now (s), key ms, out ms, channel, chat id,
# replies...  0: that key was queued before. 1: queued, and the chat kicked.
ENQUEUE = """
if ARGV[1] ~= '' then
  if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
  local now = tonumber(ARGV[2])
  redis.call('ZADD', KEYS[1], now, ARGV[1])
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[3]) / 1000)
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
redis.call('RPUSH', KEYS[2], unpack(ARGV, 7))
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('XADD', KEYS[3], '*', 'c', ARGV[5], 'k', ARGV[6])
return 1
"""

# A lock or lease that is still ours: renewed (RENEW) or let go (RELEASE).
# KEYS: the key.  ARGV: token (, ms).  1 when it was ours.
RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
