import { LRUCache } from 'lru-cache';
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

/** One merchant's labelled frauds (event times, ascending) and its transaction counts per UTC day. */
class MerchantLabels {
  readonly fraudAt: number[] = [];
  readonly fraudIds: string[] = [];
  readonly perDay = new Map<number, number>();

  /** Labelled frauds with event time in [from, to). */
  frauds(from: number, to: number): number {
    let n = 0;
    for (const t of this.fraudAt) if (t >= from && t < to) n++;
    return n;
  }

  /** The earliest labelled fraud with event time in [from, to), null when none. */
  firstIn(from: number, to: number): number | null {
    for (const t of this.fraudAt) if (t >= from) return t < to ? t : null;
    return null;
  }

  lastBefore(at: number): number | null {
    let last: number | null = null;
    for (const t of this.fraudAt) if (t < at) last = t;
    return last;
  }

  addFraud(id: string, at: number): void {
    if (this.fraudIds.includes(id)) return;
    let i = this.fraudAt.length;
    while (i > 0 && this.fraudAt[i - 1]! > at) i--;
    this.fraudAt.splice(i, 0, at);
    this.fraudIds.splice(i, 0, id);
  }

  removeFraud(id: string): void {
    const i = this.fraudIds.indexOf(id);
    if (i < 0) return;
    this.fraudAt.splice(i, 1);
    this.fraudIds.splice(i, 1);
  }

  trim(before: number): void {
    let k = 0;
    while (k < this.fraudAt.length && this.fraudAt[k]! < before) k++;
    if (k > 0) {
      this.fraudAt.splice(0, k);
      this.fraudIds.splice(0, k);
    }
  }
}

const ageOf = (last: number | null, at: number) => (last === null ? null : at - last);

/** The embedded label-risk history: per-merchant entries in an LRU, so memory stays bounded by active merchants. */
export class MemoryLabelRiskStore implements LabelRiskStore {
  readonly kind = 'memory' as const;
  private readonly merchants: LRUCache<string, MerchantLabels>;

  constructor(maxMerchants = 200_000) {
    // Bounded by size, not `max`: with `max` lru-cache allocates its arrays for every slot up front (~5 MB idle).
    this.merchants = new LRUCache({ maxSize: maxMerchants, sizeCalculation: () => 1 });
  }

  async observe(tx: MerchantTransaction): Promise<MerchantLabelRisk> {
    const m = this.entry(tx);
    m.trim(tx.at - FRAUD_RETENTION_MS);
    const today = dayIndex(tx.at);
    const transactions = (from: number, to: number) => {
      let n = 0;
      for (let d = from; d < to; d++) n += m.perDay.get(d) ?? 0;
      return n;
    };
    const settled = (days: number) => {
      const to = settledEnd(today);
      const from = to - days;
      return { transactions: transactions(from, to), frauds: m.frauds(from * DAY_MS, to * DAY_MS) };
    };
    const [s1, s7, s30] = [settled(1), settled(7), settled(30)];
    const firstFraud = m.firstIn(tx.at - 30 * DAY_MS, tx.at);
    const run =
      firstFraud === null ? { transactions: 0, frauds: 0 } : settled(settledEnd(today) - dayIndex(firstFraud));
    const risk: MerchantLabelRisk = {
      frauds1d: m.frauds(tx.at - DAY_MS, tx.at),
      frauds7d: m.frauds(tx.at - 7 * DAY_MS, tx.at),
      frauds14d: m.frauds(tx.at - 14 * DAY_MS, tx.at),
      frauds30d: m.frauds(tx.at - 30 * DAY_MS, tx.at),
      transactions30d: transactions(today - RATE_DAYS + 1, today + 1),
      lastFraudAgeMs: ageOf(m.lastBefore(tx.at), tx.at),
      settledTransactions1d: s1.transactions,
      settledTransactions7d: s7.transactions,
      settledTransactions30d: s30.transactions,
      settledFrauds1d: s1.frauds,
      settledFrauds7d: s7.frauds,
      settledFrauds30d: s30.frauds,
      firstFraudAgeMs: ageOf(firstFraud, tx.at),
      runSettledTransactions: run.transactions,
      runSettledFrauds: run.frauds,
    };
    m.perDay.set(today, (m.perDay.get(today) ?? 0) + 1);
    if (m.perDay.size > COUNT_DAYS) for (const d of m.perDay.keys()) if (d <= today - COUNT_DAYS) m.perDay.delete(d);
    return risk;
  }

  async recordLabel(tx: MerchantTransaction & { fraud: boolean }): Promise<void> {
    const m = this.entry(tx);
    if (tx.fraud) m.addFraud(tx.transactionId, tx.at);
    else m.removeFraud(tx.transactionId);
  }

  async close(): Promise<void> {
    this.merchants.clear();
  }

  private entry(tx: MerchantTransaction): MerchantLabels {
    const key = `${tx.tenantId}:${tx.merchant}`;
    let m = this.merchants.get(key);
    if (!m) {
      m = new MerchantLabels();
      this.merchants.set(key, m);
    }
    return m;
  }
}
