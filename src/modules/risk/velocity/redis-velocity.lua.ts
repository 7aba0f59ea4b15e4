/**
 * One score's whole Redis work as one script: the reads (before this transaction), then the writes.
 * A pipeline of ~50 commands cost most of the score in command encoding and reply parsing on our
 * side; a script is one command, one reply, and atomic. Every key is in KEYS (one hash tag per
 * tenant) so it runs on Redis Cluster too.
 *
 * KEYS, in OBSERVE_KEYS order (redis-velocity.store.ts): 1 customerTx, 2 customerDeclines,
 * 3 customerCards, 4 cardTx, 5 cardDeclines, 6 deviceCards, 7 deviceCustomers, 8 ipTx,
 * 9 ipCustomers, 10 merchantTx, 11 merchantDeclines, 12 seenCustomer, 13 seenCard, 14 seenDevice,
 * 15 seenIp, 16 seenAccount, 17 deviceNewCards, 18 deviceNewCustomers, 19 deviceDeclines,
 * 20 ipNewCards, 21 ipNewCustomers, 22 ipDeclines, 23 merchantNewCards, 24 merchantNewCustomers,
 * 25 merchantAmounts, 26 binNewCards, 27 binNewCustomers, 28 binDeclines, 29 merchantBinTx,
 * 30 merchantBinLast4; an absent entity's keys name a key that is never written, so its reads come
 * back empty.
 * ARGV: 1 at, 2/3/4/5/6 start of the 10 min / 1 h / 24 h / 7 d / 30 d windows, 7 trim (1/0),
 * 8 transaction id, 9 customer tx member, 10 card, 11 customer, 12 last 4 ('' when absent),
 * 13 TTL s of hour/day keys, 14 TTL s of month keys, 15 first-seen TTL s, 16 declined (1/0),
 * 17 one flag per KEYS entry (1 when the entity is present), 18/19/20 retention cutoffs of the
 * hour/day/month indexes, 21 day number of the event, 22 its amountLogMilli, 23 SEQUENCE_SPAN,
 * 24 AMOUNT_DAYS.
 * Reads never look outside their windows, so trimming is only about memory: the caller asks for it on
 * a fraction of the calls, which saves a command per written key on the others.
 * Reply (first-seen times are the earliest sighting before the event, or null): customer count and
 * amount 1h/24h/7d/30d, declines 1h, distinct cards 24h, first seen; account first seen; card count,
 * declines, first seen; device burst, distinct cards, distinct customers, new customers 24h, first
 * seen; IP burst, count, distinct customers 24h and 30d, new customers 24h, customer seen on it
 * (1/0), first seen; merchant burst, count 10m and 1h, amount count/sum/sum of squares; BIN burst;
 * BIN at the merchant: count 1h, sequence 10m. A burst is new cards 10m/1h, new customers 10m/1h
 * (this transaction's own card and customer left out), declines 10m/1h.
 */
export const OBSERVE_SCRIPT = `
local at = tonumber(ARGV[1])
local tenMin, hour, day, month = ARGV[2], ARGV[3], ARGV[4], ARGV[6]
local tenMinN, hourN, dayN, weekN, monthN = tonumber(tenMin), tonumber(hour), tonumber(day), tonumber(ARGV[5]), tonumber(month)
local trim, tx, member, card, cust, last4 = ARGV[7] == '1', ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[12]
local ttl, longTtl, seenTtl, declined, flags = ARGV[13], ARGV[14], ARGV[15], ARGV[16] == '1', ARGV[17]
local cutoff = { h = ARGV[18], d = ARGV[19], mo = ARGV[20] }
local today, amountLog, span, amountDays = tonumber(ARGV[21]), tonumber(ARGV[22]), tonumber(ARGV[23]), tonumber(ARGV[24])
local function present(i) return string.byte(flags, i) == 49 end
-- Reads skip what cannot be there: an absent entity's key, and a window inside one already found
-- empty (emptyFrom[k] is the earliest window start counted as 0). Each skipped call was 1-3 µs of the script.
local emptyFrom = {}
local function zcount(k, from, fromN, to)
  if not present(k) then return 0 end
  local e = emptyFrom[k]
  if e and fromN >= e and to == ARGV[1] then return 0 end
  local n = redis.call('ZCOUNT', KEYS[k], from, to)
  if n == 0 and to == ARGV[1] and ((not e) or fromN < e) then emptyFrom[k] = fromN end
  return n
end
local function count(k, from, fromN) return zcount(k, from, fromN, ARGV[1]) end
-- A key's member is always the same one in a call (its card, customer or transaction): one ZSCORE each.
local scores = {}
local function scoreOf(k, m)
  if m == '' or not present(k) then return nil end
  local s = scores[k]
  if s == nil then
    s = redis.call('ZSCORE', KEYS[k], m)
    s = s and tonumber(s)
    scores[k] = s
  end
  return s or nil
end
local function distinct(k, since, sinceN, m)
  local n = zcount(k, since, sinceN, '+inf')
  if m == '' then return n end
  local last = scoreOf(k, m)
  if (not last) or last < sinceN then n = n + 1 end
  return n
end
local firstSeen = {}
local function seenAt(k)
  if not present(k) then return false end
  local first = redis.call('GET', KEYS[k])
  firstSeen[k] = first and tonumber(first)
  if first and tonumber(first) < at then return tonumber(first) end
  return false
end
local reply = {}
local function push(...)
  local values = { ... }
  for i = 1, select('#', ...) do reply[#reply + 1] = values[i] end
end
-- Members in [from, at], this transaction's own (member \`m\`) left out; its score is only read when the window holds any.
local function others(k, from, fromN, m)
  local n = count(k, from, fromN)
  if n == 0 then return 0 end
  local own = scoreOf(k, m)
  if own and own >= fromN and own <= at then n = n - 1 end
  return n
end
-- Widest window first: when it is empty the narrower ones are not asked.
local function burst(nk, nc, dc)
  local cards1h, customers1h, declines1h = others(nk, hour, hourN, card), others(nc, hour, hourN, cust), count(dc, hour, hourN)
  push(others(nk, tenMin, tenMinN, card), cards1h, others(nc, tenMin, tenMinN, cust), customers1h, count(dc, tenMin, tenMinN), declines1h)
end

local c1, c24, c7, c30, a1, a24, a7, a30 = 0, 0, 0, 0, 0, 0, 0, 0
local range = present(1) and redis.call('ZRANGEBYSCORE', KEYS[1], month, ARGV[1], 'WITHSCORES') or {}
for i = 1, #range, 2 do
  local t = tonumber(range[i + 1])
  local amount = tonumber(string.match(range[i], '|(-?%d+)$')) or 0
  c30, a30 = c30 + 1, a30 + amount
  if t >= weekN then
    c7, a7 = c7 + 1, a7 + amount
    if t >= dayN then c24, a24 = c24 + 1, a24 + amount end
    if t >= hourN then c1, a1 = c1 + 1, a1 + amount end
  end
end
local customerSeen, accountSeen, cardSeen = seenAt(12), seenAt(16), seenAt(13)
local newCard = present(13) and not cardSeen
local newCustomer = present(12) and not customerSeen and not accountSeen
push(c1, c24, c7, c30, a1, a24, a7, a30, count(2, hour, hourN), distinct(3, day, dayN, card), customerSeen, accountSeen)
push(count(4, hour, hourN), count(5, hour, hourN), cardSeen)
local deviceNewCustomers24h = others(18, day, dayN, cust)
burst(17, 18, 19)
push(distinct(6, day, dayN, card), distinct(7, day, dayN, cust), deviceNewCustomers24h, seenAt(14))
local ipNewCustomers24h = others(21, day, dayN, cust)
burst(20, 21, 22)
local ipKnown = 0
local ipLast = scoreOf(9, cust)
if ipLast and ipLast < at and ipLast >= monthN then ipKnown = 1 end
push(count(8, hour, hourN), distinct(9, day, dayN, cust), distinct(9, month, monthN, cust), ipNewCustomers24h, ipKnown, seenAt(15))
burst(23, 24, 11)
local merchant1h = count(10, hour, hourN)
push(count(10, tenMin, tenMinN), merchant1h)
-- Each day's number is formatted once (a number-to-string conversion is most of building the list);
-- the last three fields are today's, which the writes below reuse.
local fields = {}
if present(25) then
  for d = today - amountDays, today do
    local day = d .. ':'
    fields[#fields + 1] = day .. 'n'
    fields[#fields + 1] = day .. 's'
    fields[#fields + 1] = day .. 'q'
  end
end
local sums = present(25) and redis.call('HMGET', KEYS[25], unpack(fields)) or {}
local n, s, q = 0, 0, 0
for i = 1, #fields, 3 do
  n = n + (tonumber(sums[i]) or 0)
  s = s + (tonumber(sums[i + 1]) or 0)
  q = q + (tonumber(sums[i + 2]) or 0)
end
push(n, s, q)
burst(26, 27, 28)
local sequence = 0
if last4 ~= '' and present(30) then
  local mine = tonumber(last4)
  for _, other in ipairs(redis.call('ZRANGEBYSCORE', KEYS[30], tenMin, ARGV[1])) do
    local d = math.abs(tonumber(other) - mine)
    if d > 0 and d <= span then sequence = sequence + 1 end
  end
end
push(count(29, hour, hourN), sequence)

local function add(k, m, gt, window)
  if not present(k) then return end
  if gt then redis.call('ZADD', KEYS[k], 'GT', ARGV[1], m) else redis.call('ZADD', KEYS[k], ARGV[1], m) end
  if trim then redis.call('ZREMRANGEBYSCORE', KEYS[k], '-inf', '(' .. cutoff[window]) end
  if window == 'mo' then redis.call('EXPIRE', KEYS[k], longTtl) else redis.call('EXPIRE', KEYS[k], ttl) end
end
add(1, member, false, 'mo')
if card ~= '' then add(3, card, true, 'd') end
add(4, tx, false, 'h')
if card ~= '' then add(6, card, true, 'd') end
if cust ~= '' then add(7, cust, true, 'd') end
add(8, tx, false, 'h')
if cust ~= '' then add(9, cust, true, 'mo') end
-- New to the merchant's window (absent, or an untrimmed leftover): only then do its amounts count.
local previous = present(10) and redis.call('ZSCORE', KEYS[10], tx)
local merchantFresh = present(10) and ((not previous) or tonumber(previous) < tonumber(cutoff.h))
add(10, tx, false, 'h')
if newCard then
  for _, k in ipairs({ 17, 20, 23, 26 }) do add(k, card, true, 'h') end
end
if newCustomer then
  add(18, cust, true, 'd')
  add(21, cust, true, 'd')
  add(24, cust, true, 'h')
  add(27, cust, true, 'h')
end
add(29, tx, false, 'h')
if last4 ~= '' then add(30, last4, true, 'h') end
if merchantFresh and not declined then
  redis.call('HINCRBY', KEYS[25], fields[#fields - 2], 1)
  redis.call('HINCRBY', KEYS[25], fields[#fields - 1], amountLog)
  redis.call('HINCRBY', KEYS[25], fields[#fields], amountLog * amountLog)
  if trim then
    for _, f in ipairs(redis.call('HKEYS', KEYS[25])) do
      if tonumber(string.match(f, '^(-?%d+):')) < today - amountDays - 1 then redis.call('HDEL', KEYS[25], f) end
    end
  end
  redis.call('EXPIRE', KEYS[25], longTtl)
end
for k = 12, 16 do
  if present(k) then
    -- Keep the earliest event time: a late, older event moves "first seen" back, never forward.
    local first = firstSeen[k]
    if (not first) or first > at then redis.call('SET', KEYS[k], ARGV[1], 'EX', seenTtl) else redis.call('EXPIRE', KEYS[k], seenTtl) end
  end
end
if declined then
  for _, k in ipairs({ 2, 5, 11, 19, 22, 28 }) do add(k, tx, false, 'h') end
end
return reply
`;
