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

/** Encodes an id and amount in one sorted-set member, so one range read yields counts and sums. */
export function txMember(transactionId: string, amountUsdMinor: number): string {
  return `${transactionId}|${Math.round(amountUsdMinor)}`;
}

/** How late an event may arrive and still find its windows' history complete. */
const LATE_EVENT_SLACK_MS = HOUR_MS;

/**
 * How long each index keeps its members, by event time: its window plus the slack. Only the
 * customer's transactions are read over 7 days; a busy merchant's or IP's transactions are read over
 * one hour, so keeping them for a week would hold a week of the merchant's traffic for nothing.
 */
export const RETENTION_MS = { hour: HOUR_MS + LATE_EVENT_SLACK_MS, day: DAY_MS + LATE_EVENT_SLACK_MS, week: WEEK_MS + LATE_EVENT_SLACK_MS } as const;
export type RetentionClass = keyof typeof RETENTION_MS;
