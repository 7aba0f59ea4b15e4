import { Redis } from 'ioredis';
import {
  DAY_MS,
  HOUR_MS,
  RETENTION_MS,
  txMember,
  WEEK_MS,
  type VelocityEvent,
  type VelocitySnapshot,
  type VelocityStore,
} from './velocity-store.js';
import { OBSERVE_SCRIPT } from './redis-velocity.lua.js';

/**
 * The history's keys for one transaction, null where the entity is absent: sorted sets scored by
 * event time, plus a first-seen marker per customer, card and device. the memory store keeps the
 * same indexes grouped per entity.
 */
function velocityKeys(prefix: string, e: VelocityEvent) {
  return {
    customerTx: e.customer && `${prefix}c:${e.customer}:tx`,
    customerDeclines: e.customer && `${prefix}c:${e.customer}:dc`,
    customerCards: e.customer && `${prefix}c:${e.customer}:cards`,
    cardTx: e.card && `${prefix}k:${e.card}:tx`,
    cardDeclines: e.card && `${prefix}k:${e.card}:dc`,
    deviceCards: e.device && `${prefix}d:${e.device}:cards`,
    deviceCustomers: e.device && `${prefix}d:${e.device}:custs`,
    ipTx: e.ip && `${prefix}i:${e.ip}:tx`,
    ipCustomers: e.ip && `${prefix}i:${e.ip}:custs`,
    merchantTx: e.merchant && `${prefix}m:${e.merchant}:tx`,
    merchantDeclines: e.merchant && `${prefix}m:${e.merchant}:dc`,
    seenCustomer: e.customer && `${prefix}seen:c:${e.customer}`,
    seenCard: e.card && `${prefix}seen:k:${e.card}`,
    seenDevice: e.device && `${prefix}seen:d:${e.device}`,
  };
}

type VelocityKeys = ReturnType<typeof velocityKeys>;

/** Keys outlive their newest entry by the longest retention plus a day, so idle entities disappear by themselves. */
const TTL_SECONDS = Math.ceil((RETENTION_MS.week + DAY_MS) / 1000);
/** One score in this many trims the keys it writes; a busy key is trimmed every few writes, an idle one expires. */
const TRIM_EVERY = 8;
/** First-seen markers live longer than the windows: "new customer" must mean new for months, not a week. */
const SEEN_TTL_SECONDS = 180 * 24 * 3600;

type Reply = [Error | null, unknown][];

/** The script's KEYS, in its order. */
const OBSERVE_KEYS = [
  'customerTx',
  'customerDeclines',
  'customerCards',
  'cardTx',
  'cardDeclines',
  'deviceCards',
  'deviceCustomers',
  'ipTx',
  'ipCustomers',
  'merchantTx',
  'merchantDeclines',
  'seenCustomer',
  'seenCard',
  'seenDevice',
] as const satisfies readonly (keyof VelocityKeys)[];

type ScriptedRedis = Redis & { velocityObserve(...args: (string | number)[]): Promise<number[]> };

/**
 * Velocity history in Redis: sorted sets scored by event time (transactions, declines, and
 * last-seen members for distinct counts), one script call (reads, then writes) per transaction.
 * Keys carry the tenant in a hash tag so a tenant's keys share a Redis Cluster slot.
 */
export class RedisVelocityStore implements VelocityStore {
  readonly kind = 'redis' as const;

  private readonly redis: ScriptedRedis;
  private observed = 0;

  constructor(
    redis: Redis,
    private readonly prefix = 'pl:rv',
  ) {
    // EVALSHA, falling back to EVAL when the server does not have the script cached yet.
    redis.defineCommand('velocityObserve', { numberOfKeys: OBSERVE_KEYS.length, lua: OBSERVE_SCRIPT });
    this.redis = redis as ScriptedRedis;
  }

  static connect(url: string, prefix?: string, onError?: (error: Error) => void): RedisVelocityStore {
    const redis = new Redis(url, { maxRetriesPerRequest: 2 });
    // Connection errors surface on each command (the scorer reports them); the event only needs a listener.
    redis.on('error', (error: Error) => onError?.(error));
    return new RedisVelocityStore(redis, prefix);
  }

  private keys(e: VelocityEvent): VelocityKeys {
    return velocityKeys(`${this.prefix}:{${e.tenantId}}:`, e);
  }

  async observe(e: VelocityEvent): Promise<VelocitySnapshot> {
    const k = this.keys(e);
    const absent = `${this.prefix}:{${e.tenantId}}:none`;
    const keys = OBSERVE_KEYS.map((name) => k[name] ?? absent);
    const flags = OBSERVE_KEYS.map((name) => (k[name] ? '1' : '0')).join('');
    const r = await this.redis.velocityObserve(
      ...keys,
      e.at,
      e.at - HOUR_MS,
      e.at - DAY_MS,
      e.at - WEEK_MS,
      this.observed++ % TRIM_EVERY === 0 ? 1 : 0,
      e.transactionId,
      txMember(e.transactionId, e.amountUsdMinor),
      e.card ?? '',
      e.customer ?? '',
      TTL_SECONDS,
      SEEN_TTL_SECONDS,
      e.declined ? 1 : 0,
      flags,
      e.at - RETENTION_MS.hour,
      e.at - RETENTION_MS.day,
      e.at - RETENTION_MS.week,
    );
    const [c1h, c24h, c7d, a1h, a24h, a7d, customerDeclines, customerCards, customerSeen, cardTx, cardDeclines, cardSeen, deviceCards, deviceCustomers, deviceSeen, ipTx, ipCustomers, merchantTx, merchantDeclines] = r;
    return {
      customer: {
        count1h: c1h!,
        count24h: c24h!,
        count7d: c7d!,
        amountUsdMinor1h: a1h!,
        amountUsdMinor24h: a24h!,
        amountUsdMinor7d: a7d!,
        declines1h: customerDeclines!,
        distinctCards24h: customerCards!,
        seenBefore: customerSeen === 1,
      },
      card: { count1h: cardTx!, declines1h: cardDeclines!, seenBefore: cardSeen === 1 },
      device: { distinctCards24h: deviceCards!, distinctCustomers24h: deviceCustomers!, seenBefore: deviceSeen === 1 },
      ip: { count1h: ipTx!, distinctCustomers24h: ipCustomers! },
      merchant: { count1h: merchantTx!, declines1h: merchantDeclines! },
    };
  }

  async recordDecline(e: VelocityEvent): Promise<void> {
    const pipe = this.redis.pipeline();
    this.queueDeclines(pipe, e, this.keys(e));
    const replies = (await pipe.exec()) as Reply;
    const failed = replies.find(([error]) => error);
    if (failed) throw failed[0];
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private queueDeclines(pipe: ReturnType<Redis['pipeline']>, e: VelocityEvent, k: VelocityKeys): void {
    const cutoff = e.at - RETENTION_MS.hour;
    for (const key of [k.customerDeclines, k.cardDeclines, k.merchantDeclines]) {
      if (!key) continue;
      pipe.zadd(key, e.at, e.transactionId);
      pipe.zremrangebyscore(key, '-inf', `(${cutoff}`);
      pipe.expire(key, TTL_SECONDS);
    }
  }
}
