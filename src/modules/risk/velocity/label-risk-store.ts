import { DAY_MS } from './velocity-store.js';

/** One transaction at a merchant, by event time (epoch ms). */
export interface MerchantTransaction {
  tenantId: string;
  merchant: string;
  transactionId: string;
  at: number;
}

/**
 * What the labels known so far say about a merchant before a transaction: labelled frauds among
 * its transactions with event times in the 1 / 7 / 14 / 30 days before it (and the latest one), and its transaction count
 * over the last 31 UTC days (today's included, this transaction not) for the rate.
 *
 * Labels arrive late (a fraud report takes days), so the most recent transactions look cleaner than
 * they are. The settled windows read only whole UTC days whose labels are in by now — those ending
 * LABEL_SETTLE_DAYS before today — and give their transactions and labelled frauds, whose ratio is
 * the merchant's fraud rate undiluted by unlabelled recent traffic (the handbook's delayed
 * terminal-risk windows).
 */
export interface MerchantLabelRisk {
  frauds1d: number;
  frauds7d: number;
  frauds14d: number;
  frauds30d: number;
  transactions30d: number;
  /** How long before the transaction (ms, by event time) the merchant's latest labelled fraud happened; null when none is known. */
  lastFraudAgeMs: number | null;
  /** The last 1 / 7 / 30 settled days: transactions, and labelled frauds among them. */
  settledTransactions1d: number;
  settledTransactions7d: number;
  settledTransactions30d: number;
  settledFrauds1d: number;
  settledFrauds7d: number;
  settledFrauds30d: number;
  /**
   * The merchant's current run of labelled frauds: how long before the transaction (ms) the earliest
   * labelled fraud of the 30 days before it happened (null when none), and the settled days from
   * that fraud's day on — their transactions and labelled frauds. A compromised merchant's run starts
   * with the compromise and most of its traffic is fraud; stolen cards passing through leave a few
   * frauds among much legitimate traffic; a run that began long ago may be over.
   */
  firstFraudAgeMs: number | null;
  runSettledTransactions: number;
  runSettledFrauds: number;
}

export const noLabelRisk: MerchantLabelRisk = {
  frauds1d: 0,
  frauds7d: 0,
  frauds14d: 0,
  frauds30d: 0,
  transactions30d: 0,
  lastFraudAgeMs: null,
  settledTransactions1d: 0,
  settledTransactions7d: 0,
  settledTransactions30d: 0,
  settledFrauds1d: 0,
  settledFrauds7d: 0,
  settledFrauds30d: 0,
  firstFraudAgeMs: null,
  runSettledTransactions: 0,
  runSettledFrauds: 0,
};

/**
 * Merchant (terminal) risk from labels, the delayed terminal-risk windows of the ULB handbook:
 * a compromised merchant stands out once its frauds are labelled, whenever the labels arrive.
 * In-process (embedded) or Redis (shared by instances), with the same semantics (one suite tests both).
 */
export interface LabelRiskStore {
  readonly kind: 'memory' | 'redis';
  /** Reads the merchant's label windows ending at the transaction's time, then counts the transaction (a rescore counts again, as a retry would). */
  observe(tx: MerchantTransaction): Promise<MerchantLabelRisk>;
  /** A label arrived: a fraud (or chargeback) counts for its merchant at its event time, once; any other label withdraws it. */
  recordLabel(tx: MerchantTransaction & { fraud: boolean }): Promise<void>;
  close(): Promise<void>;
}

/**
 * A transaction's labels are taken to be in once this many whole days have passed since its UTC
 * day ended: the settled windows end there. Issuer fraud reports and analysts' reviews mostly come
 * within a week; chargebacks that come later still count in the unsettled windows.
 */
export const LABEL_SETTLE_DAYS = 7;
/** Day buckets of transaction counts kept: the longest settled window and the days after it, today included. */
export const COUNT_DAYS = LABEL_SETTLE_DAYS + 30 + 1;
/** Day buckets read for the 30-day rate: the 30 days before today, and today. */
export const RATE_DAYS = 31;
/** Labelled frauds are kept as long as the day counts, so a label that arrives late still finds its window. */
export const FRAUD_RETENTION_MS = COUNT_DAYS * DAY_MS;

export const dayIndex = (at: number) => Math.floor(at / DAY_MS);

/** The UTC day the settled windows of a transaction on day `today` end before (exclusive). */
export const settledEnd = (today: number) => today - LABEL_SETTLE_DAYS;
