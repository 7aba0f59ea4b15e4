import type { ChainableCommander } from 'ioredis';
import type { RedisClient, RedisConnector } from '../../../platform/redis/redis-client.js';
import {
  AMOUNT_DAYS,
  amountLogMilli,
  DAY_MS,
  HOUR_MS,
  MONTH_MS,
  RETENTION_MS,
  SEQUENCE_SPAN,
  TEN_MINUTES_MS,
  txMember,
  WEEK_MS,
  type BurstCounts,
  type VelocityEvent,
  type VelocitySnapshot,
  type VelocityStore,
} from './velocity-store.js';
import { OBSERVE_SCRIPT } from './redis-velocity.lua.js';

/**
 * The history's keys for one transaction, null where the entity is absent: sorted sets scored by
 * event time, a merchant's daily amount sums, and a first-seen marker per customer, account, card,
 * device and IP. The memory store keeps the same indexes grouped per entity.
 */
function velocityKeys(prefix: string, e: VelocityEvent) {
  const merchantBin = e.bin && e.merchant ? `${prefix}x:${e.bin}:${e.merchant}` : null;
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
    seenIp: e.ip && `${prefix}seen:i:${e.ip}`,
    seenAccount: e.account && `${prefix}seen:a:${e.account}`,
    deviceNewCards: e.device && `${prefix}d:${e.device}:nk`,
    deviceNewCustomers: e.device && `${prefix}d:${e.device}:nc`,
    deviceDeclines: e.device && `${prefix}d:${e.device}:dc`,
    ipNewCards: e.ip && `${prefix}i:${e.ip}:nk`,
    ipNewCustomers: e.ip && `${prefix}i:${e.ip}:nc`,
    ipDeclines: e.ip && `${prefix}i:${e.ip}:dc`,
    merchantNewCards: e.merchant && `${prefix}m:${e.merchant}:nk`,
    merchantNewCustomers: e.merchant && `${prefix}m:${e.merchant}:nc`,
    merchantAmounts: e.merchant && `${prefix}m:${e.merchant}:amt`,
    binNewCards: e.bin && `${prefix}b:${e.bin}:nk`,
    binNewCustomers: e.bin && `${prefix}b:${e.bin}:nc`,
    binDeclines: e.bin && `${prefix}b:${e.bin}:dc`,
    merchantBinTx: merchantBin && `${merchantBin}:tx`,
    merchantBinLast4: merchantBin && `${merchantBin}:l4`,
  };
}

type VelocityKeys = ReturnType<typeof velocityKeys>;

/** Keys outlive their newest entry by their longest retention plus a day, so idle entities disappear by themselves. */
const TTL_SECONDS = Math.ceil((RETENTION_MS.day + DAY_MS) / 1000);
const LONG_TTL_SECONDS = Math.ceil((RETENTION_MS.month + DAY_MS) / 1000);
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
  'seenIp',
  'seenAccount',
  'deviceNewCards',
  'deviceNewCustomers',
  'deviceDeclines',
  'ipNewCards',
  'ipNewCustomers',
  'ipDeclines',
  'merchantNewCards',
  'merchantNewCustomers',
  'merchantAmounts',
  'binNewCards',
  'binNewCustomers',
  'binDeclines',
  'merchantBinTx',
  'merchantBinLast4',
] as const satisfies readonly (keyof VelocityKeys)[];

type ScriptedRedis = RedisClient & { velocityObserve(...args: (string | number)[]): Promise<(number | null)[]> };

/** Reads the script's reply in order. */
class ReplyReader {
  private i = 0;
  constructor(private readonly values: (number | null)[]) {}
  next(): number {
    return this.values[this.i++] ?? 0;
  }
  time(): number | null {
    return this.values[this.i++] ?? null;
  }
  burst(): BurstCounts {
    return {
      newCards10m: this.next(),
      newCards1h: this.next(),
      newCustomers10m: this.next(),
      newCustomers1h: this.next(),
      declines10m: this.next(),
      declines1h: this.next(),
    };
  }
}

/**
 * Velocity history in Redis: sorted sets scored by event time (transactions, declines, new cards and
 * customers, and last-seen members for distinct counts), one script call (reads, then writes) per
 * transaction. Keys carry the tenant in a hash tag so a tenant's keys share a Redis Cluster slot.
 */
export class RedisVelocityStore implements VelocityStore {
  readonly kind = 'redis' as const;

  private readonly redis: ScriptedRedis;
  private observed = 0;

  constructor(
    redis: RedisClient,
    private readonly prefix = 'pl:rv',
  ) {
    // EVALSHA, falling back to EVAL when the server does not have the script cached yet.
    redis.defineCommand('velocityObserve', { numberOfKeys: OBSERVE_KEYS.length, lua: OBSERVE_SCRIPT });
    this.redis = redis as ScriptedRedis;
  }

  static connect(connect: RedisConnector, prefix?: string, onError?: (error: Error) => void): RedisVelocityStore {
    const redis = connect('risk-velocity');
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
    const r = new ReplyReader(
      await this.redis.velocityObserve(
        ...keys,
        e.at,
        e.at - TEN_MINUTES_MS,
        e.at - HOUR_MS,
        e.at - DAY_MS,
        e.at - WEEK_MS,
        e.at - MONTH_MS,
        this.observed++ % TRIM_EVERY === 0 ? 1 : 0,
        e.transactionId,
        txMember(e.transactionId, e.amountUsdMinor),
        e.card ?? '',
        e.customer ?? '',
        e.last4 ?? '',
        TTL_SECONDS,
        LONG_TTL_SECONDS,
        SEEN_TTL_SECONDS,
        e.declined ? 1 : 0,
        flags,
        e.at - RETENTION_MS.hour,
        e.at - RETENTION_MS.day,
        e.at - RETENTION_MS.month,
        Math.floor(e.at / DAY_MS),
        amountLogMilli(e.amountUsdMinor),
        SEQUENCE_SPAN,
        AMOUNT_DAYS,
      ),
    );
    const customer = {
      count1h: r.next(),
      count24h: r.next(),
      count7d: r.next(),
      count30d: r.next(),
      amountUsdMinor1h: r.next(),
      amountUsdMinor24h: r.next(),
      amountUsdMinor7d: r.next(),
      amountUsdMinor30d: r.next(),
      declines1h: r.next(),
      distinctCards24h: r.next(),
      seenBefore: false,
      firstSeenAt: r.time(),
    };
    customer.seenBefore = customer.firstSeenAt !== null;
    const account = { firstSeenAt: r.time() };
    const card = { count1h: r.next(), declines1h: r.next(), seenBefore: false, firstSeenAt: r.time() };
    card.seenBefore = card.firstSeenAt !== null;
    // Object literals read in reply order; spreading a burst into them made dictionary objects.
    const device = {
      newCards10m: r.next(),
      newCards1h: r.next(),
      newCustomers10m: r.next(),
      newCustomers1h: r.next(),
      declines10m: r.next(),
      declines1h: r.next(),
      distinctCards24h: r.next(),
      distinctCustomers24h: r.next(),
      newCustomers24h: r.next(),
      firstSeenAt: r.time(),
      seenBefore: false,
    };
    device.seenBefore = device.firstSeenAt !== null;
    const ip = {
      newCards10m: r.next(),
      newCards1h: r.next(),
      newCustomers10m: r.next(),
      newCustomers1h: r.next(),
      declines10m: r.next(),
      declines1h: r.next(),
      count1h: r.next(),
      distinctCustomers24h: r.next(),
      distinctCustomers30d: r.next(),
      newCustomers24h: r.next(),
      customerSeenBefore: r.next() === 1,
      firstSeenAt: r.time(),
    };
    const merchant = {
      newCards10m: r.next(),
      newCards1h: r.next(),
      newCustomers10m: r.next(),
      newCustomers1h: r.next(),
      declines10m: r.next(),
      declines1h: r.next(),
      count10m: r.next(),
      count1h: r.next(),
      amounts: { count: r.next(), sumLogMilli: r.next(), sumSqLogMilli: r.next() },
    };
    const bin = r.burst();
    const merchantBin = { count1h: r.next(), sequence10m: r.next() };
    return { customer, account, card, device, ip, merchant, bin, merchantBin };
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

  async forgetCustomers(tenantId: string, customerKeys: string[]): Promise<number> {
    if (customerKeys.length === 0) return 0;
    // The customer's own keys, named as observe() names them; one tenant's keys share a cluster slot.
    const keys = customerKeys.flatMap((key) => {
      const k = this.keys({
        tenantId,
        transactionId: '',
        at: 0,
        amountUsdMinor: 0,
        declined: false,
        customer: key,
        account: key,
        card: null,
        device: null,
        ip: null,
        merchant: null,
      });
      return [k.customerTx, k.customerDeclines, k.customerCards, k.seenCustomer, k.seenAccount].filter(
        (name): name is string => typeof name === 'string',
      );
    });
    return this.redis.del(...keys);
  }

  private queueDeclines(pipe: ChainableCommander, e: VelocityEvent, k: VelocityKeys): void {
    const cutoff = e.at - RETENTION_MS.hour;
    for (const key of [
      k.customerDeclines,
      k.cardDeclines,
      k.merchantDeclines,
      k.deviceDeclines,
      k.ipDeclines,
      k.binDeclines,
    ]) {
      if (!key) continue;
      pipe.zadd(key, e.at, e.transactionId);
      pipe.zremrangebyscore(key, '-inf', `(${cutoff}`);
      pipe.expire(key, TTL_SECONDS);
    }
  }
}
