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
 */
export interface MerchantLabelRisk {
  frauds1d: number;
  frauds7d: number;
  frauds14d: number;
  frauds30d: number;
  transactions30d: number;
  /** How long before the transaction (ms, by event time) the merchant's latest labelled fraud happened; null when none is known. */
  lastFraudAgeMs: number | null;
}

export const noLabelRisk: MerchantLabelRisk = { frauds1d: 0, frauds7d: 0, frauds14d: 0, frauds30d: 0, transactions30d: 0, lastFraudAgeMs: null };

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

/** Labelled frauds are kept for the longest window plus a day, so a label that arrives late still finds its window. */
export const FRAUD_RETENTION_MS = 31 * DAY_MS;
/** Day buckets of transaction counts read for the 30-day rate: the 30 days before today, and today. */
export const COUNT_DAYS = 31;

export const dayIndex = (at: number) => Math.floor(at / DAY_MS);
