import { Redis } from 'ioredis';
import {
  DAY_MS,
  HOUR_MS,
  RETENTION_MS,
  summarize,
  txMember,
  velocityKeys,
  WEEK_MS,
  type VelocityEvent,
  type VelocityKeys,
  type VelocitySnapshot,
  type VelocityStore,
} from './velocity-store.js';

/** Keys outlive their newest entry by the retention plus a day, so idle entities disappear by themselves. */
const TTL_SECONDS = Math.ceil((RETENTION_MS + DAY_MS) / 1000);
/** First-seen markers live longer than the windows: "new customer" must mean new for months, not a week. */
const SEEN_TTL_SECONDS = 180 * 24 * 3600;

type Reply = [Error | null, unknown][];

/**
 * Velocity history in Redis: sorted sets scored by event time (transactions, declines, and
 * last-seen members for distinct counts), one pipeline of reads then writes per transaction.
 * Keys carry the tenant in a hash tag so a tenant's keys share a Redis Cluster slot.
 */
export class RedisVelocityStore implements VelocityStore {
  readonly kind = 'redis' as const;

  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'pl:rv',
  ) {}

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
    const hour = e.at - HOUR_MS;
    const day = e.at - DAY_MS;
    const pipe = this.redis.pipeline();
    // Reads first: the pipeline runs in order, so they see the history before this transaction.
    const reads: Record<string, number> = {};
    let queued = 0;
    const read = (name: string, key: string | null, queue: () => void) => {
      if (!key) return;
      reads[name] = queued++;
      queue();
    };
    read('customerTx', k.customerTx, () => pipe.zrangebyscore(k.customerTx!, e.at - WEEK_MS, e.at, 'WITHSCORES'));
    read('customerDeclines', k.customerDeclines, () => pipe.zcount(k.customerDeclines!, hour, e.at));
    read('customerCards', k.customerCards, () => pipe.zcount(k.customerCards!, day, '+inf'));
    read('customerCardLast', k.customerCards && e.card, () => pipe.zscore(k.customerCards!, e.card!));
    read('cardTx', k.cardTx, () => pipe.zcount(k.cardTx!, hour, e.at));
    read('cardDeclines', k.cardDeclines, () => pipe.zcount(k.cardDeclines!, hour, e.at));
    read('deviceCards', k.deviceCards, () => pipe.zcount(k.deviceCards!, day, '+inf'));
    read('deviceCardLast', k.deviceCards && e.card, () => pipe.zscore(k.deviceCards!, e.card!));
    read('deviceCustomers', k.deviceCustomers, () => pipe.zcount(k.deviceCustomers!, day, '+inf'));
    read('deviceCustomerLast', k.deviceCustomers && e.customer, () => pipe.zscore(k.deviceCustomers!, e.customer!));
    read('ipTx', k.ipTx, () => pipe.zcount(k.ipTx!, hour, e.at));
    read('ipCustomers', k.ipCustomers, () => pipe.zcount(k.ipCustomers!, day, '+inf'));
    read('ipCustomerLast', k.ipCustomers && e.customer, () => pipe.zscore(k.ipCustomers!, e.customer!));
    read('merchantTx', k.merchantTx, () => pipe.zcount(k.merchantTx!, hour, e.at));
    read('merchantDeclines', k.merchantDeclines, () => pipe.zcount(k.merchantDeclines!, hour, e.at));
    read('seenCustomer', k.seenCustomer, () => pipe.get(k.seenCustomer!));
    read('seenCard', k.seenCard, () => pipe.get(k.seenCard!));
    read('seenDevice', k.seenDevice, () => pipe.get(k.seenDevice!));
    this.queueWrites(pipe, e, k);
    const replies = (await pipe.exec()) as Reply;
    const failed = replies.find(([error]) => error);
    if (failed) throw failed[0];
    const value = (name: string): unknown => (name in reads ? replies[reads[name]!]![1] : null);
    const num = (name: string) => Number(value(name) ?? 0);
    const distinct = (countName: string, lastName: string, member: string | null) => {
      const last = value(lastName);
      const inWindow = last !== null && last !== undefined && Number(last) >= day;
      return num(countName) + (member !== null && !inWindow ? 1 : 0);
    };
    const seen = (name: string) => {
      const first = value(name);
      return first !== null && first !== undefined && Number(first) < e.at;
    };
    const flat = (value('customerTx') as string[] | null) ?? [];
    const entries: { member: string; at: number }[] = [];
    for (let i = 0; i < flat.length; i += 2) entries.push({ member: flat[i]!, at: Number(flat[i + 1]) });
    const sums = summarize(entries, e.at);
    return {
      customer: {
        count1h: sums.count1h,
        count24h: sums.count24h,
        count7d: sums.count7d,
        amountUsdMinor1h: sums.amount1h,
        amountUsdMinor24h: sums.amount24h,
        amountUsdMinor7d: sums.amount7d,
        declines1h: num('customerDeclines'),
        distinctCards24h: distinct('customerCards', 'customerCardLast', e.card),
        seenBefore: seen('seenCustomer'),
      },
      card: { count1h: num('cardTx'), declines1h: num('cardDeclines'), seenBefore: seen('seenCard') },
      device: {
        distinctCards24h: distinct('deviceCards', 'deviceCardLast', e.card),
        distinctCustomers24h: distinct('deviceCustomers', 'deviceCustomerLast', e.customer),
        seenBefore: seen('seenDevice'),
      },
      ip: { count1h: num('ipTx'), distinctCustomers24h: distinct('ipCustomers', 'ipCustomerLast', e.customer) },
      merchant: { count1h: num('merchantTx'), declines1h: num('merchantDeclines') },
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

  private queueWrites(pipe: ReturnType<Redis['pipeline']>, e: VelocityEvent, k: VelocityKeys): void {
    const cutoff = e.at - RETENTION_MS;
    const add = (key: string | null, member: string, gt = false) => {
      if (!key) return;
      if (gt) pipe.zadd(key, 'GT', e.at, member);
      else pipe.zadd(key, e.at, member);
      pipe.zremrangebyscore(key, '-inf', `(${cutoff}`);
      pipe.expire(key, TTL_SECONDS);
    };
    add(k.customerTx, txMember(e.transactionId, e.amountUsdMinor));
    if (e.card) add(k.customerCards, e.card, true);
    add(k.cardTx, e.transactionId);
    if (e.card) add(k.deviceCards, e.card, true);
    if (e.customer) add(k.deviceCustomers, e.customer, true);
    add(k.ipTx, e.transactionId);
    if (e.customer) add(k.ipCustomers, e.customer, true);
    add(k.merchantTx, e.transactionId);
    for (const key of [k.seenCustomer, k.seenCard, k.seenDevice]) {
      if (!key) continue;
      // Keep the earliest event time: a late, older event moves "first seen" back, never forward.
      pipe.eval("local v = redis.call('GET', KEYS[1]); if (not v) or tonumber(v) > tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end; redis.call('EXPIRE', KEYS[1], ARGV[2]); return 1", 1, key, e.at, SEEN_TTL_SECONDS);
    }
    if (e.declined) this.queueDeclines(pipe, e, k);
  }

  private queueDeclines(pipe: ReturnType<Redis['pipeline']>, e: VelocityEvent, k: VelocityKeys): void {
    const cutoff = e.at - RETENTION_MS;
    for (const key of [k.customerDeclines, k.cardDeclines, k.merchantDeclines]) {
      if (!key) continue;
      pipe.zadd(key, e.at, e.transactionId);
      pipe.zremrangebyscore(key, '-inf', `(${cutoff}`);
      pipe.expire(key, TTL_SECONDS);
    }
  }
}
