import type { RedisClient, RedisConnector } from '../../../platform/redis/redis-client.js';
import {
  COUNT_DAYS,
  dayIndex,
  FRAUD_RETENTION_MS,
  RATE_DAYS,
  settledEnd,
  type LabelRiskStore,
  type MerchantLabelRisk,
  type MerchantTransaction,
} from './label-risk-store.js';
import { DAY_MS } from './velocity-store.js';

/**
 * KEYS: the merchant's day-count hash, its labelled-fraud sorted set (scored by event time).
 * ARGV: event time, today's index, the 1 / 7 / 30-day window starts, the retention cutoff, key TTL (s), the 14-day start,
 * and the day the settled windows end before (today − LABEL_SETTLE_DAYS).
 * Reads the windows (frauds strictly before the event) and the run since the earliest fraud of the 30 days,
 * then counts the transaction in today's bucket.
 */
const OBSERVE_SCRIPT = `
local at = ARGV[1]
local today = tonumber(ARGV[2])
local settledEnd = tonumber(ARGV[9])
local dayMs = ${DAY_MS}
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[6])
local f1 = redis.call('ZCOUNT', KEYS[2], ARGV[3], '(' .. at)
local f7 = redis.call('ZCOUNT', KEYS[2], ARGV[4], '(' .. at)
local f30 = redis.call('ZCOUNT', KEYS[2], ARGV[5], '(' .. at)
local f14 = redis.call('ZCOUNT', KEYS[2], ARGV[8], '(' .. at)
local last = redis.call('ZREVRANGEBYSCORE', KEYS[2], '(' .. at, '-inf', 'WITHSCORES', 'LIMIT', 0, 1)
local fields = {}
for d = today - ${COUNT_DAYS} + 1, today do fields[#fields + 1] = tostring(d) end
local counts = redis.call('HMGET', KEYS[1], unpack(fields))
local function sum(from, to)
  local n = 0
  for d = from, to - 1 do
    local c = counts[d - (today - ${COUNT_DAYS} + 1) + 1]
    if c then n = n + tonumber(c) end
  end
  return n
end
local out = {f1, f7, f30, sum(today - ${RATE_DAYS} + 1, today + 1), f14, last[2] or '-1'}
local function settled(from)
  out[#out + 1] = sum(from, settledEnd)
  if from >= settledEnd then out[#out + 1] = 0
  else out[#out + 1] = redis.call('ZCOUNT', KEYS[2], from * dayMs, '(' .. (settledEnd * dayMs)) end
end
for _, w in ipairs({1, 7, 30}) do settled(settledEnd - w) end
local first = redis.call('ZRANGEBYSCORE', KEYS[2], ARGV[5], '(' .. at, 'WITHSCORES', 'LIMIT', 0, 1)
out[#out + 1] = first[2] or '-1'
if first[2] then settled(math.floor(tonumber(first[2]) / dayMs)) else out[#out + 1] = 0; out[#out + 1] = 0 end
redis.call('HINCRBY', KEYS[1], tostring(today), 1)
redis.call('HDEL', KEYS[1], tostring(today - ${COUNT_DAYS}))
redis.call('EXPIRE', KEYS[1], ARGV[7])
return out
`;

/** Keys outlive the retention by a day, so an idle merchant's history disappears by itself. */
const TTL_SECONDS = Math.ceil((FRAUD_RETENTION_MS + DAY_MS) / 1000);

type ScriptedRedis = RedisClient & { labelRiskObserve(...args: (string | number)[]): Promise<(number | string)[]> };

/** Label risk in Redis: one script call per score; keys carry the tenant in a hash tag (one Redis Cluster slot per tenant). */
export class RedisLabelRiskStore implements LabelRiskStore {
  readonly kind = 'redis' as const;
  private readonly redis: ScriptedRedis;

  constructor(
    redis: RedisClient,
    private readonly prefix = 'pl:lr',
  ) {
    redis.defineCommand('labelRiskObserve', { numberOfKeys: 2, lua: OBSERVE_SCRIPT });
    this.redis = redis as ScriptedRedis;
  }

  static connect(connect: RedisConnector, prefix?: string, onError?: (error: Error) => void): RedisLabelRiskStore {
    const redis = connect('risk-label');
    redis.on('error', (error: Error) => onError?.(error));
    return new RedisLabelRiskStore(redis, prefix);
  }

  private keys(tx: MerchantTransaction) {
    const base = `${this.prefix}:{${tx.tenantId}}:m:${tx.merchant}`;
    return { days: `${base}:days`, frauds: `${base}:frauds` };
  }

  async observe(tx: MerchantTransaction): Promise<MerchantLabelRisk> {
    const k = this.keys(tx);
    const today = dayIndex(tx.at);
    const [
      frauds1d,
      frauds7d,
      frauds30d,
      transactions30d,
      frauds14d,
      last,
      st1,
      sf1,
      st7,
      sf7,
      st30,
      sf30,
      first,
      rt,
      rf,
    ] = await this.redis.labelRiskObserve(
      k.days,
      k.frauds,
      tx.at,
      today,
      tx.at - DAY_MS,
      tx.at - 7 * DAY_MS,
      tx.at - 30 * DAY_MS,
      tx.at - FRAUD_RETENTION_MS,
      TTL_SECONDS,
      tx.at - 14 * DAY_MS,
      settledEnd(today),
    );
    const lastFraudAt = Number(last);
    const firstFraudAt = Number(first);
    return {
      frauds1d: Number(frauds1d),
      frauds7d: Number(frauds7d),
      frauds14d: Number(frauds14d),
      frauds30d: Number(frauds30d),
      transactions30d: Number(transactions30d),
      lastFraudAgeMs: last === '-1' ? null : tx.at - lastFraudAt,
      settledTransactions1d: Number(st1),
      settledTransactions7d: Number(st7),
      settledTransactions30d: Number(st30),
      settledFrauds1d: Number(sf1),
      settledFrauds7d: Number(sf7),
      settledFrauds30d: Number(sf30),
      firstFraudAgeMs: first === '-1' ? null : tx.at - firstFraudAt,
      runSettledTransactions: Number(rt),
      runSettledFrauds: Number(rf),
    };
  }

  async recordLabel(tx: MerchantTransaction & { fraud: boolean }): Promise<void> {
    const k = this.keys(tx);
    if (tx.fraud) await this.redis.multi().zadd(k.frauds, tx.at, tx.transactionId).expire(k.frauds, TTL_SECONDS).exec();
    else await this.redis.zrem(k.frauds, tx.transactionId);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
