/**
 * One score's whole Redis work as one script: the reads (before this transaction), then the writes.
 * A pipeline of ~50 commands cost most of the score in command encoding and reply parsing on our
 * side; a script is one command, one reply, and atomic. Every key is in KEYS (one hash tag per
 * tenant) so it runs on Redis Cluster too.
 *
 * KEYS, in velocityKeys order: 1 customerTx, 2 customerDeclines, 3 customerCards, 4 cardTx,
 * 5 cardDeclines, 6 deviceCards, 7 deviceCustomers, 8 ipTx, 9 ipCustomers, 10 merchantTx,
 * 11 merchantDeclines, 12 seenCustomer, 13 seenCard, 14 seenDevice; an absent entity's keys name a
 * key that is never written, so its reads come back empty.
 * ARGV: 1 at, 2 hour start, 3 day start, 4 week start, 5 trim (1/0), 6 transaction id,
 * 7 customer tx member, 8 card ('' if none), 9 customer ('' if none), 10 window TTL s, 11 seen TTL s,
 * 12 declined (1/0), 13 one flag per KEYS entry: 1 when the entity is present, 14/15/16 retention
 * cutoffs of the hour/day/week indexes.
 * Reads never look outside their windows, so trimming is only about memory: the caller asks for it on
 * a fraction of the calls, which saves a command per written key on the others.
 * Reply: customer count 1h/24h/7d, amount 1h/24h/7d, declines 1h, distinct cards, seen; card count,
 * declines, seen; device distinct cards, distinct customers, seen; IP count, distinct customers;
 * merchant count, declines.
 */
export const OBSERVE_SCRIPT = `
local at, hour, day, week = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4]
local dayN, hourN = tonumber(day), tonumber(hour)
local trim, tx, member, card, cust = ARGV[5] == '1', ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local ttl, seenTtl, flags = ARGV[10], ARGV[11], ARGV[13]
local cutoff = { h = '(' .. ARGV[14], d = '(' .. ARGV[15], w = '(' .. ARGV[16] }
local function present(i) return string.byte(flags, i) == 49 end
local function count(k) return redis.call('ZCOUNT', KEYS[k], hour, ARGV[1]) end
local function distinct(k, m)
  local n = redis.call('ZCOUNT', KEYS[k], day, '+inf')
  if m == '' then return n end
  local last = redis.call('ZSCORE', KEYS[k], m)
  if (not last) or tonumber(last) < dayN then n = n + 1 end
  return n
end
local firstSeen = {}
local function seen(k)
  local first = redis.call('GET', KEYS[k])
  firstSeen[k] = first and tonumber(first)
  if first and tonumber(first) < at then return 1 end
  return 0
end

local c1, c24, c7, a1, a24, a7 = 0, 0, 0, 0, 0, 0
local range = redis.call('ZRANGEBYSCORE', KEYS[1], week, ARGV[1], 'WITHSCORES')
for i = 1, #range, 2 do
  local t = tonumber(range[i + 1])
  local amount = tonumber(string.match(range[i], '|(-?%d+)$')) or 0
  c7, a7 = c7 + 1, a7 + amount
  if t >= dayN then c24, a24 = c24 + 1, a24 + amount end
  if t >= hourN then c1, a1 = c1 + 1, a1 + amount end
end
local reply = { c1, c24, c7, a1, a24, a7, count(2), distinct(3, card), seen(12),
  count(4), count(5), seen(13), distinct(6, card), distinct(7, cust), seen(14),
  count(8), distinct(9, cust), count(10), count(11) }

local function add(k, m, gt, window)
  if not present(k) then return end
  if gt then redis.call('ZADD', KEYS[k], 'GT', ARGV[1], m) else redis.call('ZADD', KEYS[k], ARGV[1], m) end
  if trim then redis.call('ZREMRANGEBYSCORE', KEYS[k], '-inf', cutoff[window]) end
  redis.call('EXPIRE', KEYS[k], ttl)
end
add(1, member, false, 'w')
if card ~= '' then add(3, card, true, 'd') end
add(4, tx, false, 'h')
if card ~= '' then add(6, card, true, 'd') end
if cust ~= '' then add(7, cust, true, 'd') end
add(8, tx, false, 'h')
if cust ~= '' then add(9, cust, true, 'd') end
add(10, tx, false, 'h')
for k = 12, 14 do
  if present(k) then
    -- Keep the earliest event time: a late, older event moves "first seen" back, never forward.
    local first = firstSeen[k]
    if (not first) or first > at then redis.call('SET', KEYS[k], ARGV[1], 'EX', seenTtl) else redis.call('EXPIRE', KEYS[k], seenTtl) end
  end
end
if ARGV[12] == '1' then
  for _, k in ipairs({ 2, 5, 11 }) do add(k, tx, false, 'h') end
end
return reply
`;
