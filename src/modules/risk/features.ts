import type { EmailSignals } from './email-signals.js';
import { noLabelRisk, type MerchantLabelRisk } from './velocity/label-risk-store.js';
import { DAY_MS, type VelocitySnapshot } from './velocity/velocity-store.js';

/** Every feature the rules and the model can use; values are plain numbers (flags are 0/1, amounts USD major units). */
export const featureNames = [
  'amount_usd',
  'customer_count_1h',
  'customer_count_24h',
  'customer_count_7d',
  'customer_amount_usd_1h',
  'customer_amount_usd_24h',
  'customer_amount_usd_7d',
  'customer_declines_1h',
  'card_count_1h',
  'card_declines_1h',
  'customer_distinct_cards_24h',
  'device_distinct_cards_24h',
  'device_distinct_customers_24h',
  'ip_count_1h',
  'ip_distinct_customers_24h',
  'merchant_count_1h',
  'merchant_decline_rate_1h',
  'country_mismatch',
  'amount_vs_usual',
  'first_seen_customer',
  'first_seen_card',
  'first_seen_device',
  'customer_count_30d',
  'customer_age_days',
  'email_age_days',
  'email_disposable',
  'email_random',
  'card_age_days',
  'device_age_days',
  'device_new_cards_10m',
  'device_new_cards_1h',
  'device_new_customers_10m',
  'device_new_customers_1h',
  'device_new_customers_24h',
  'device_declines_10m',
  'device_declines_1h',
  'ip_age_days',
  'ip_distinct_customers_30d',
  'customer_ip_known',
  'ip_new_cards_10m',
  'ip_new_cards_1h',
  'ip_new_customers_10m',
  'ip_new_customers_1h',
  'ip_new_customers_24h',
  'ip_declines_10m',
  'ip_declines_1h',
  'merchant_count_10m',
  'merchant_new_cards_10m',
  'merchant_new_cards_1h',
  'merchant_new_customers_10m',
  'merchant_new_customers_1h',
  'merchant_declines_10m',
  'merchant_declines_1h',
  'bin_new_cards_10m',
  'bin_new_cards_1h',
  'bin_new_customers_10m',
  'bin_new_customers_1h',
  'bin_declines_10m',
  'bin_declines_1h',
  'merchant_bin_count_1h',
  'merchant_bin_share_1h',
  'card_sequence_10m',
  'amount_merchant_z',
  'merchant_fraud_count_1d',
  'merchant_fraud_count_7d',
  'merchant_fraud_count_14d',
  'merchant_fraud_count_30d',
  'merchant_fraud_rate_30d',
  'merchant_days_since_fraud',
  'merchant_settled_count_1d',
  'merchant_settled_count_7d',
  'merchant_settled_count_30d',
  'merchant_settled_fraud_rate_1d',
  'merchant_settled_fraud_rate_7d',
  'merchant_settled_fraud_rate_30d',
  'customer_avg_amount_usd_24h',
  'customer_avg_amount_usd_7d',
  'customer_avg_amount_usd_30d',
  'merchant_fraud_run_days',
  'merchant_run_fraud_rate',
  'list_block',
  'list_allow',
  'velocity_degraded',
] as const;
export type FeatureName = (typeof featureNames)[number];
export type Features = Record<FeatureName, number>;

export interface FeatureInput {
  /** Event time, epoch ms: ages are measured to it. */
  at: number;
  amountUsdMinor: number;
  cardCountry: string | null;
  ipCountry: string | null;
  hasCustomer: boolean;
  hasCard: boolean;
  hasDevice: boolean;
  listBlock: boolean;
  listAllow: boolean;
  /** Disposable domain / random-looking local part (email-signals.ts). */
  email: EmailSignals;
  /** The velocity or label history could not be read (Redis down): the snapshot is unknownHistory's. */
  velocityDegraded?: boolean;
}

const round = (value: number, digits = 4) => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

/** A share in [0, 1]; 0 with nothing to share. */
const rate = (part: number, whole: number) => (whole > 0 ? round(Math.min(1, part / whole)) : 0);
/** The mean amount in USD of a window; 0 without payments in it. */
const average = (amountUsdMinor: number, count: number) => (count > 0 ? round(amountUsdMinor / 100 / count, 2) : 0);

/** Merchants need this many amounts on record before an amount is judged against theirs. */
export const MERCHANT_AMOUNTS_MIN = 20;
/** The spread of ln(amount) is at least this: a merchant selling one item at one price must not make two of it an outlier. */
const MIN_LOG_SPREAD = 0.5;

/** Days from a first sighting to the event, 0 for a first sighting. */
/** The age a transaction without a device id reports for its device (a year: never "first seen today"). */
const NO_DEVICE_AGE_DAYS = 365;

const ageDays = (at: number, firstSeenAt: number | null) =>
  firstSeenAt === null ? 0 : round((at - firstSeenAt) / DAY_MS);

/**
 * How many standard deviations ln(amount) lies from the merchant's recent ln(amounts); 0 until the
 * merchant has MERCHANT_AMOUNTS_MIN of them. It judges an amount where the customer has no history.
 */
function amountMerchantZ(amountUsdMinor: number, a: VelocitySnapshot['merchant']['amounts']): number {
  if (a.count < MERCHANT_AMOUNTS_MIN) return 0;
  const mean = a.sumLogMilli / a.count / 1000;
  const variance = a.sumSqLogMilli / a.count / 1e6 - mean * mean;
  const sd = Math.max(MIN_LOG_SPREAD, Math.sqrt(Math.max(0, variance)));
  return round((Math.log(Math.max(1, amountUsdMinor) / 100) - mean) / sd, 2);
}

/**
 * Features of one transaction from the history before it. "Usual amount" is
 * the customer's mean over the previous 30 days; without history the ratio is 1 (neutral), and
 * amount_merchant_z judges the amount against the merchant's instead. A customer is as old as its
 * oldest key (e-mail or customer id); the e-mail's age is that of the key the customer is linked by.
 */
export function computeFeatures(
  input: FeatureInput,
  v: VelocitySnapshot,
  labels: MerchantLabelRisk = noLabelRisk,
): Features {
  const amount = input.amountUsdMinor / 100;
  const { at, email } = input;
  const usual = v.customer.count30d > 0 ? v.customer.amountUsdMinor30d / 100 / v.customer.count30d : null;
  const customerFirstSeen =
    v.account.firstSeenAt === null ||
    (v.customer.firstSeenAt !== null && v.customer.firstSeenAt < v.account.firstSeenAt)
      ? v.customer.firstSeenAt
      : v.account.firstSeenAt;
  const mismatch =
    input.cardCountry !== null &&
    input.ipCountry !== null &&
    input.cardCountry.toUpperCase() !== input.ipCountry.toUpperCase();
  return {
    amount_usd: round(amount, 2),
    customer_count_1h: v.customer.count1h,
    customer_count_24h: v.customer.count24h,
    customer_count_7d: v.customer.count7d,
    customer_amount_usd_1h: round(v.customer.amountUsdMinor1h / 100, 2),
    customer_amount_usd_24h: round(v.customer.amountUsdMinor24h / 100, 2),
    customer_amount_usd_7d: round(v.customer.amountUsdMinor7d / 100, 2),
    customer_declines_1h: v.customer.declines1h,
    card_count_1h: v.card.count1h,
    card_declines_1h: v.card.declines1h,
    customer_distinct_cards_24h: v.customer.distinctCards24h,
    device_distinct_cards_24h: v.device.distinctCards24h,
    device_distinct_customers_24h: v.device.distinctCustomers24h,
    ip_count_1h: v.ip.count1h,
    ip_distinct_customers_24h: v.ip.distinctCustomers24h,
    merchant_count_1h: v.merchant.count1h,
    merchant_decline_rate_1h:
      v.merchant.count1h > 0 ? round(Math.min(1, v.merchant.declines1h / v.merchant.count1h)) : 0,
    country_mismatch: mismatch ? 1 : 0,
    amount_vs_usual: usual !== null && usual > 0 ? round(amount / usual) : 1,
    first_seen_customer: input.hasCustomer && !v.customer.seenBefore ? 1 : 0,
    first_seen_card: input.hasCard && !v.card.seenBefore ? 1 : 0,
    first_seen_device: input.hasDevice && !v.device.seenBefore ? 1 : 0,
    customer_count_30d: v.customer.count30d,
    customer_age_days: ageDays(at, customerFirstSeen),
    email_age_days: ageDays(at, v.customer.firstSeenAt),
    email_disposable: email.disposable ? 1 : 0,
    email_random: email.randomLocal ? 1 : 0,
    card_age_days: ageDays(at, v.card.firstSeenAt),
    // Without a device there is no new device: the takeover rules key on its age, so an unknown one reads as long known.
    device_age_days: input.hasDevice ? ageDays(at, v.device.firstSeenAt) : NO_DEVICE_AGE_DAYS,
    device_new_cards_10m: v.device.newCards10m,
    device_new_cards_1h: v.device.newCards1h,
    device_new_customers_10m: v.device.newCustomers10m,
    device_new_customers_1h: v.device.newCustomers1h,
    device_declines_10m: v.device.declines10m,
    device_declines_1h: v.device.declines1h,
    device_new_customers_24h: v.device.newCustomers24h,
    ip_age_days: ageDays(at, v.ip.firstSeenAt),
    ip_distinct_customers_30d: v.ip.distinctCustomers30d,
    customer_ip_known: v.ip.customerSeenBefore ? 1 : 0,
    ip_new_cards_10m: v.ip.newCards10m,
    ip_new_cards_1h: v.ip.newCards1h,
    ip_new_customers_10m: v.ip.newCustomers10m,
    ip_new_customers_1h: v.ip.newCustomers1h,
    ip_declines_10m: v.ip.declines10m,
    ip_declines_1h: v.ip.declines1h,
    ip_new_customers_24h: v.ip.newCustomers24h,
    merchant_count_10m: v.merchant.count10m,
    merchant_new_cards_10m: v.merchant.newCards10m,
    merchant_new_cards_1h: v.merchant.newCards1h,
    merchant_new_customers_10m: v.merchant.newCustomers10m,
    merchant_new_customers_1h: v.merchant.newCustomers1h,
    merchant_declines_10m: v.merchant.declines10m,
    merchant_declines_1h: v.merchant.declines1h,
    bin_new_cards_10m: v.bin.newCards10m,
    bin_new_cards_1h: v.bin.newCards1h,
    bin_new_customers_10m: v.bin.newCustomers10m,
    bin_new_customers_1h: v.bin.newCustomers1h,
    bin_declines_10m: v.bin.declines10m,
    bin_declines_1h: v.bin.declines1h,
    merchant_bin_count_1h: v.merchantBin.count1h,
    merchant_bin_share_1h: v.merchant.count1h > 0 ? round(Math.min(1, v.merchantBin.count1h / v.merchant.count1h)) : 0,
    card_sequence_10m: v.merchantBin.sequence10m,
    amount_merchant_z: amountMerchantZ(input.amountUsdMinor, v.merchant.amounts),
    merchant_fraud_count_1d: labels.frauds1d,
    merchant_fraud_count_7d: labels.frauds7d,
    merchant_fraud_count_14d: labels.frauds14d,
    merchant_fraud_count_30d: labels.frauds30d,
    merchant_fraud_rate_30d:
      labels.transactions30d > 0 ? round(Math.min(1, labels.frauds30d / labels.transactions30d)) : 0,
    // 60 (past the 31-day retention) stands for "no labelled fraud known".
    merchant_days_since_fraud: labels.lastFraudAgeMs === null ? 60 : round(labels.lastFraudAgeMs / DAY_MS, 2),
    merchant_settled_count_1d: labels.settledTransactions1d,
    merchant_settled_count_7d: labels.settledTransactions7d,
    merchant_settled_count_30d: labels.settledTransactions30d,
    merchant_settled_fraud_rate_1d: rate(labels.settledFrauds1d, labels.settledTransactions1d),
    merchant_settled_fraud_rate_7d: rate(labels.settledFrauds7d, labels.settledTransactions7d),
    merchant_settled_fraud_rate_30d: rate(labels.settledFrauds30d, labels.settledTransactions30d),
    customer_avg_amount_usd_24h: average(v.customer.amountUsdMinor24h, v.customer.count24h),
    customer_avg_amount_usd_7d: average(v.customer.amountUsdMinor7d, v.customer.count7d),
    customer_avg_amount_usd_30d: average(v.customer.amountUsdMinor30d, v.customer.count30d),
    // As merchant_days_since_fraud: 60 stands for "no labelled fraud in 30 days".
    merchant_fraud_run_days: labels.firstFraudAgeMs === null ? 60 : round(labels.firstFraudAgeMs / DAY_MS, 2),
    merchant_run_fraud_rate: rate(labels.runSettledFrauds, labels.runSettledTransactions),
    list_block: input.listBlock ? 1 : 0,
    list_allow: input.listAllow ? 1 : 0,
    velocity_degraded: input.velocityDegraded ? 1 : 0,
  };
}

/**
 * The stored form of features: JSON without the zeros, which are most of them on most transactions
 * (a quarter of an assessment row's bytes); coerceFeatures reads a missing name back as 0.
 */
const storedFeatureKeys = featureNames.map((name) => `${JSON.stringify(name)}:`);

export function storedFeatures(features: Features): string {
  // Written straight to text: an object of the non-zero names, then stringified, was ~2 % of the
  // API's CPU under single-event load (a new object shape per transaction).
  let out = '{';
  for (let i = 0; i < featureNames.length; i++) {
    const value = features[featureNames[i]!];
    if (value === 0) continue;
    if (out.length > 1) out += ',';
    out += storedFeatureKeys[i] + JSON.stringify(value);
  }
  return `${out}}`;
}

/** Features read back from storage: unknown names dropped, missing ones 0, so old rows stay usable. */
export function coerceFeatures(stored: Record<string, unknown>): Features {
  const out = {} as Features;
  for (const name of featureNames) {
    const value = Number(stored[name] ?? 0);
    out[name] = Number.isFinite(value) ? value : 0;
  }
  return out;
}
