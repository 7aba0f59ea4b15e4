/** Window lengths of the velocity features, by event time. */
export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
export const WEEK_MS = 7 * DAY_MS;

/** One transaction as the velocity history sees it; identities are already keyed (hashed or fingerprinted). */
export interface VelocityEvent {
  tenantId: string;
  transactionId: string;
  /** Event time, epoch milliseconds. */
  at: number;
  amountUsdMinor: number;
  declined: boolean;
  customer: string | null;
  card: string | null;
  device: string | null;
  ip: string | null;
  merchant: string | null;
}

/** What the history held before the transaction, in its windows ending at its event time. */
export interface VelocitySnapshot {
  /** Counts and sums include transactions at the same instant; distinct counts include this transaction's own card/customer. */
  customer: {
    count1h: number;
    count24h: number;
    count7d: number;
    amountUsdMinor1h: number;
    amountUsdMinor24h: number;
    amountUsdMinor7d: number;
    declines1h: number;
    distinctCards24h: number;
    seenBefore: boolean;
  };
  card: { count1h: number; declines1h: number; seenBefore: boolean };
  device: { distinctCards24h: number; distinctCustomers24h: number; seenBefore: boolean };
  ip: { count1h: number; distinctCustomers24h: number };
  merchant: { count1h: number; declines1h: number };
}

/**
 * The velocity history behind the risk features: in-process for the embedded mode, Redis when
 * several instances share it. Both keep the same semantics (tested by one shared suite).
 */
export interface VelocityStore {
  readonly kind: 'memory' | 'redis';
  /** Reads the history up to `event`'s time, then records it (recording the same id again is idempotent); one round trip. */
  observe(event: VelocityEvent): Promise<VelocitySnapshot>;
  /** Records a decline learnt after the fact (our own decline decision on a scored transaction). */
  recordDecline(event: VelocityEvent): Promise<void>;
  close(): Promise<void>;
}

/**
 * The history's keys for one transaction, null where the entity is absent: sorted sets scored by
 * event time, plus a first-seen marker per customer, card and device. Both stores use this layout.
 */
export function velocityKeys(prefix: string, e: VelocityEvent) {
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

export type VelocityKeys = ReturnType<typeof velocityKeys>;

/** Encodes an id and amount in one sorted-set member, so one range read yields counts and sums. */
export function txMember(transactionId: string, amountUsdMinor: number): string {
  return `${transactionId}|${Math.round(amountUsdMinor)}`;
}

export function memberAmount(member: string): number {
  return Number(member.slice(member.lastIndexOf('|') + 1));
}

/** Retention of per-entity history: the longest window plus slack for late events. */
export const RETENTION_MS = WEEK_MS + HOUR_MS;

/** Counts and sums of a customer's transactions in the 1 h / 24 h / 7 d windows ending at `at`. */
export function summarize(entries: Iterable<{ member: string; at: number }>, at: number) {
  const out = { count1h: 0, count24h: 0, count7d: 0, amount1h: 0, amount24h: 0, amount7d: 0 };
  for (const entry of entries) {
    if (entry.at > at || entry.at < at - WEEK_MS) continue;
    const amount = memberAmount(entry.member);
    out.count7d++;
    out.amount7d += amount;
    if (entry.at >= at - DAY_MS) {
      out.count24h++;
      out.amount24h += amount;
    }
    if (entry.at >= at - HOUR_MS) {
      out.count1h++;
      out.amount1h += amount;
    }
  }
  return out;
}
