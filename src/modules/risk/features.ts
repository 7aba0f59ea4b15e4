import { noLabelRisk, type MerchantLabelRisk } from './label-risk-store.js';
import { DAY_MS, type VelocitySnapshot } from './velocity-store.js';

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
  'merchant_fraud_count_1d',
  'merchant_fraud_count_7d',
  'merchant_fraud_count_14d',
  'merchant_fraud_count_30d',
  'merchant_fraud_rate_30d',
  'merchant_days_since_fraud',
  'list_block',
  'list_allow',
] as const;
export type FeatureName = (typeof featureNames)[number];
export type Features = Record<FeatureName, number>;

export interface FeatureInput {
  amountUsdMinor: number;
  cardCountry: string | null;
  ipCountry: string | null;
  hasCustomer: boolean;
  hasCard: boolean;
  hasDevice: boolean;
  listBlock: boolean;
  listAllow: boolean;
}

const round = (value: number, digits = 4) => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

/**
 * Features of one transaction from the history before it. "Usual amount" is the customer's mean
 * over the previous 7 days; without history the ratio is 1 (neutral), so a new customer's first
 * payment is judged by the first-seen flags instead.
 */
export function computeFeatures(input: FeatureInput, v: VelocitySnapshot, labels: MerchantLabelRisk = noLabelRisk): Features {
  const amount = input.amountUsdMinor / 100;
  const usual = v.customer.count7d > 0 ? v.customer.amountUsdMinor7d / 100 / v.customer.count7d : null;
  const mismatch = input.cardCountry !== null && input.ipCountry !== null && input.cardCountry.toUpperCase() !== input.ipCountry.toUpperCase();
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
    merchant_decline_rate_1h: v.merchant.count1h > 0 ? round(Math.min(1, v.merchant.declines1h / v.merchant.count1h)) : 0,
    country_mismatch: mismatch ? 1 : 0,
    amount_vs_usual: usual !== null && usual > 0 ? round(amount / usual) : 1,
    first_seen_customer: input.hasCustomer && !v.customer.seenBefore ? 1 : 0,
    first_seen_card: input.hasCard && !v.card.seenBefore ? 1 : 0,
    first_seen_device: input.hasDevice && !v.device.seenBefore ? 1 : 0,
    merchant_fraud_count_1d: labels.frauds1d,
    merchant_fraud_count_7d: labels.frauds7d,
    merchant_fraud_count_14d: labels.frauds14d,
    merchant_fraud_count_30d: labels.frauds30d,
    merchant_fraud_rate_30d: labels.transactions30d > 0 ? round(Math.min(1, labels.frauds30d / labels.transactions30d)) : 0,
    // 60 (past the 31-day retention) stands for "no labelled fraud known".
    merchant_days_since_fraud: labels.lastFraudAgeMs === null ? 60 : round(labels.lastFraudAgeMs / DAY_MS, 2),
    list_block: input.listBlock ? 1 : 0,
    list_allow: input.listAllow ? 1 : 0,
  };
}

/**
 * The stored form of features: JSON without the zeros, which are most of them on most transactions
 * (a quarter of an assessment row's bytes); coerceFeatures reads a missing name back as 0.
 */
export function storedFeatures(features: Features): string {
  const nonZero: Partial<Features> = {};
  for (const name of featureNames) if (features[name] !== 0) nonZero[name] = features[name];
  return JSON.stringify(nonZero);
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
