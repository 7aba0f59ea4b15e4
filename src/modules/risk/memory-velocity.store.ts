import { LRUCache } from 'lru-cache';
import {
  DAY_MS,
  HOUR_MS,
  RETENTION_MS,
  summarize,
  txMember,
  WEEK_MS,
  type VelocityEvent,
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

  /** mode: 'set' replaces the time, 'max' keeps the latest, 'min' keeps the earliest (Redis ZADD, GT, LT). */
  add(member: string, at: number, mode: 'set' | 'max' | 'min' = 'set'): void {
    const current = this.byMember.get(member);
    if (current !== undefined) {
      if (current === at || (mode === 'max' && current >= at) || (mode === 'min' && current <= at)) return;
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
 * The embedded velocity history: per-entity time indexes in an LRU, so memory stays bounded by the
 * number of active entities however long the process runs.
 */
export class MemoryVelocityStore implements VelocityStore {
  readonly kind = 'memory' as const;
  private readonly indexes: LRUCache<string, TimeIndex>;

  constructor(maxKeys = 1_000_000) {
    this.indexes = new LRUCache({ max: maxKeys });
  }

  async observe(e: VelocityEvent): Promise<VelocitySnapshot> {
    const snapshot = this.read(e);
    this.write(e);
    return snapshot;
  }

  async recordDecline(e: VelocityEvent): Promise<void> {
    this.writeDecline(e);
  }

  async close(): Promise<void> {
    this.indexes.clear();
  }

  private index(key: string): TimeIndex {
    let index = this.indexes.get(key);
    if (!index) {
      index = new TimeIndex();
      this.indexes.set(key, index);
    }
    return index;
  }

  private peek(key: string): TimeIndex | undefined {
    return this.indexes.get(key);
  }

  private read(e: VelocityEvent): VelocitySnapshot {
    const p = `${e.tenantId}:`;
    const hour = e.at - HOUR_MS;
    const day = e.at - DAY_MS;
    const count = (key: string, from: number) => this.peek(key)?.count(from, e.at) ?? 0;
    const distinct = (key: string, member: string | null) => {
      const index = this.peek(key);
      const n = index?.count(day) ?? 0;
      if (member === null) return n;
      const last = index?.score(member);
      return n + (last === undefined || last < day ? 1 : 0);
    };
    const seen = (kind: string, id: string | null) => {
      if (id === null) return false;
      const first = this.peek(`${p}seen:${kind}`)?.score(id);
      return first !== undefined && first < e.at;
    };
    const customerTx = e.customer ? this.peek(`${p}c:${e.customer}:tx`) : undefined;
    const sums = summarize(customerTx ? customerTx.range(e.at - WEEK_MS, e.at) : [], e.at);
    return {
      customer: {
        count1h: sums.count1h,
        count24h: sums.count24h,
        count7d: sums.count7d,
        amountUsdMinor1h: sums.amount1h,
        amountUsdMinor24h: sums.amount24h,
        amountUsdMinor7d: sums.amount7d,
        declines1h: e.customer ? count(`${p}c:${e.customer}:dc`, hour) : 0,
        distinctCards24h: e.customer ? distinct(`${p}c:${e.customer}:cards`, e.card) : e.card ? 1 : 0,
        seenBefore: seen('c', e.customer),
      },
      card: {
        count1h: e.card ? count(`${p}k:${e.card}:tx`, hour) : 0,
        declines1h: e.card ? count(`${p}k:${e.card}:dc`, hour) : 0,
        seenBefore: seen('k', e.card),
      },
      device: {
        distinctCards24h: e.device ? distinct(`${p}d:${e.device}:cards`, e.card) : e.card ? 1 : 0,
        distinctCustomers24h: e.device ? distinct(`${p}d:${e.device}:custs`, e.customer) : e.customer ? 1 : 0,
        seenBefore: seen('d', e.device),
      },
      ip: {
        count1h: e.ip ? count(`${p}i:${e.ip}:tx`, hour) : 0,
        distinctCustomers24h: e.ip ? distinct(`${p}i:${e.ip}:custs`, e.customer) : e.customer ? 1 : 0,
      },
      merchant: {
        count1h: e.merchant ? count(`${p}m:${e.merchant}:tx`, hour) : 0,
        declines1h: e.merchant ? count(`${p}m:${e.merchant}:dc`, hour) : 0,
      },
    };
  }

  private write(e: VelocityEvent): void {
    const p = `${e.tenantId}:`;
    const cutoff = e.at - RETENTION_MS;
    const add = (key: string, member: string, mode: 'set' | 'max' = 'set') => {
      const index = this.index(key);
      index.add(member, e.at, mode);
      index.trimBefore(cutoff);
    };
    const member = txMember(e.transactionId, e.amountUsdMinor);
    if (e.customer) {
      add(`${p}c:${e.customer}:tx`, member);
      if (e.card) add(`${p}c:${e.customer}:cards`, e.card, 'max');
      this.index(`${p}seen:c`).add(e.customer, e.at, 'min');
    }
    if (e.card) {
      add(`${p}k:${e.card}:tx`, e.transactionId);
      this.index(`${p}seen:k`).add(e.card, e.at, 'min');
    }
    if (e.device) {
      if (e.card) add(`${p}d:${e.device}:cards`, e.card, 'max');
      if (e.customer) add(`${p}d:${e.device}:custs`, e.customer, 'max');
      this.index(`${p}seen:d`).add(e.device, e.at, 'min');
    }
    if (e.ip) {
      add(`${p}i:${e.ip}:tx`, e.transactionId);
      if (e.customer) add(`${p}i:${e.ip}:custs`, e.customer, 'max');
    }
    if (e.merchant) add(`${p}m:${e.merchant}:tx`, e.transactionId);
    if (e.declined) this.writeDecline(e);
  }

  private writeDecline(e: VelocityEvent): void {
    const p = `${e.tenantId}:`;
    const cutoff = e.at - RETENTION_MS;
    for (const key of [e.customer && `${p}c:${e.customer}:dc`, e.card && `${p}k:${e.card}:dc`, e.merchant && `${p}m:${e.merchant}:dc`]) {
      if (!key) continue;
      const index = this.index(key);
      index.add(e.transactionId, e.at);
      index.trimBefore(cutoff);
    }
  }
}
