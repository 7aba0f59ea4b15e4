import { LRUCache } from 'lru-cache';
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

/** Members ordered by time with O(log n) range counts; a member appears once (re-adding moves it). */
class TimeIndex {
  private readonly times: number[] = [];
  private readonly members: string[] = [];
  private readonly byMember = new Map<string, number>();

  get size(): number {
    return this.times.length;
  }

  score(member: string): number | undefined {
    return this.byMember.get(member);
  }

  /** mode: 'set' replaces the time, 'max' keeps the latest (Redis ZADD, ZADD GT). */
  add(member: string, at: number, mode: 'set' | 'max' = 'set'): void {
    const current = this.byMember.get(member);
    if (current !== undefined) {
      if (current === at || (mode === 'max' && current >= at)) return;
      this.remove(member, current);
    }
    const i = this.lowerBound(at + 1);
    this.times.splice(i, 0, at);
    this.members.splice(i, 0, member);
    this.byMember.set(member, at);
  }

  count(from: number, to: number = Number.POSITIVE_INFINITY): number {
    return this.lowerBound(to === Number.POSITIVE_INFINITY ? to : to + 1) - this.lowerBound(from);
  }

  *range(from: number, to: number): Iterable<{ member: string; at: number }> {
    for (let i = this.lowerBound(from); i < this.times.length && this.times[i]! <= to; i++) yield { member: this.members[i]!, at: this.times[i]! };
  }

  trimBefore(cutoff: number): void {
    const n = this.lowerBound(cutoff);
    if (n === 0) return;
    for (const member of this.members.slice(0, n)) this.byMember.delete(member);
    this.times.splice(0, n);
    this.members.splice(0, n);
  }

  private remove(member: string, at: number): void {
    for (let i = this.lowerBound(at); i < this.times.length && this.times[i] === at; i++) {
      if (this.members[i] === member) {
        this.times.splice(i, 1);
        this.members.splice(i, 1);
        break;
      }
    }
    this.byMember.delete(member);
  }

  /** First index whose time is >= t. */
  private lowerBound(t: number): number {
    let lo = 0;
    let hi = this.times.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.times[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * The embedded velocity history: per-entity time indexes and first-seen times in LRUs, so memory
 * stays bounded by the number of active entities however long the process runs.
 */
export class MemoryVelocityStore implements VelocityStore {
  readonly kind = 'memory' as const;
  private readonly indexes: LRUCache<string, TimeIndex>;
  /** First-seen event time per customer/card/device key: only looked up, never ranged. */
  private readonly firstSeen: LRUCache<string, number>;

  constructor(maxKeys = 1_000_000) {
    this.indexes = new LRUCache({ max: maxKeys });
    this.firstSeen = new LRUCache({ max: maxKeys });
  }

  async observe(e: VelocityEvent): Promise<VelocitySnapshot> {
    const k = velocityKeys(`${e.tenantId}:`, e);
    const snapshot = this.read(e, k);
    this.write(e, k);
    return snapshot;
  }

  async recordDecline(e: VelocityEvent): Promise<void> {
    this.writeDecline(e, velocityKeys(`${e.tenantId}:`, e));
  }

  async close(): Promise<void> {
    this.indexes.clear();
    this.firstSeen.clear();
  }

  private index(key: string): TimeIndex {
    let index = this.indexes.get(key);
    if (!index) {
      index = new TimeIndex();
      this.indexes.set(key, index);
    }
    return index;
  }

  private read(e: VelocityEvent, k: VelocityKeys): VelocitySnapshot {
    const hour = e.at - HOUR_MS;
    const day = e.at - DAY_MS;
    const count = (key: string | null, from: number) => (key ? (this.indexes.get(key)?.count(from, e.at) ?? 0) : 0);
    const distinct = (key: string | null, member: string | null) => {
      const index = key ? this.indexes.get(key) : undefined;
      const n = index?.count(day) ?? 0;
      if (member === null) return n;
      const last = index?.score(member);
      return n + (last === undefined || last < day ? 1 : 0);
    };
    const seen = (key: string | null) => {
      const first = key ? this.firstSeen.get(key) : undefined;
      return first !== undefined && first < e.at;
    };
    const customerTx = k.customerTx ? this.indexes.get(k.customerTx) : undefined;
    const sums = summarize(customerTx ? customerTx.range(e.at - WEEK_MS, e.at) : [], e.at);
    return {
      customer: {
        count1h: sums.count1h,
        count24h: sums.count24h,
        count7d: sums.count7d,
        amountUsdMinor1h: sums.amount1h,
        amountUsdMinor24h: sums.amount24h,
        amountUsdMinor7d: sums.amount7d,
        declines1h: count(k.customerDeclines, hour),
        distinctCards24h: distinct(k.customerCards, e.card),
        seenBefore: seen(k.seenCustomer),
      },
      card: { count1h: count(k.cardTx, hour), declines1h: count(k.cardDeclines, hour), seenBefore: seen(k.seenCard) },
      device: {
        distinctCards24h: distinct(k.deviceCards, e.card),
        distinctCustomers24h: distinct(k.deviceCustomers, e.customer),
        seenBefore: seen(k.seenDevice),
      },
      ip: { count1h: count(k.ipTx, hour), distinctCustomers24h: distinct(k.ipCustomers, e.customer) },
      merchant: { count1h: count(k.merchantTx, hour), declines1h: count(k.merchantDeclines, hour) },
    };
  }

  private write(e: VelocityEvent, k: VelocityKeys): void {
    const cutoff = e.at - RETENTION_MS;
    const add = (key: string | null, member: string, mode: 'set' | 'max' = 'set') => {
      if (!key) return;
      const index = this.index(key);
      index.add(member, e.at, mode);
      index.trimBefore(cutoff);
    };
    add(k.customerTx, txMember(e.transactionId, e.amountUsdMinor));
    if (e.card) add(k.customerCards, e.card, 'max');
    add(k.cardTx, e.transactionId);
    if (e.card) add(k.deviceCards, e.card, 'max');
    if (e.customer) add(k.deviceCustomers, e.customer, 'max');
    add(k.ipTx, e.transactionId);
    if (e.customer) add(k.ipCustomers, e.customer, 'max');
    add(k.merchantTx, e.transactionId);
    for (const key of [k.seenCustomer, k.seenCard, k.seenDevice]) {
      if (!key) continue;
      // Keep the earliest event time: a late, older event moves "first seen" back, never forward.
      const first = this.firstSeen.get(key);
      if (first === undefined || first > e.at) this.firstSeen.set(key, e.at);
    }
    if (e.declined) this.writeDecline(e, k);
  }

  private writeDecline(e: VelocityEvent, k: VelocityKeys): void {
    const cutoff = e.at - RETENTION_MS;
    for (const key of [k.customerDeclines, k.cardDeclines, k.merchantDeclines]) {
      if (!key) continue;
      const index = this.index(key);
      index.add(e.transactionId, e.at);
      index.trimBefore(cutoff);
    }
  }
}
