import { describe, expect, it } from 'vitest';
import { coerceFeatures, computeFeatures, featureNames, storedFeatures, type FeatureInput } from './features.js';
import { noLabelRisk } from './velocity/label-risk-store.js';
import {
  amountLogMilli,
  DAY_MS,
  quietHistory,
  unknownHistory,
  type VelocitySnapshot,
} from './velocity/velocity-store.js';

/** A first payment: nothing in any window, every entity new, the distinct counts holding its own card and customer. */
const empty = quietHistory(null, 1);
const T = Date.parse('2026-03-01T12:00:00Z');
const input: FeatureInput = {
  at: T,
  amountUsdMinor: 12_345,
  cardCountry: 'US',
  ipCountry: 'us',
  hasCustomer: true,
  hasCard: true,
  hasDevice: true,
  listBlock: false,
  listAllow: false,
  email: { disposable: false, randomLocal: false },
};

describe('computeFeatures', () => {
  it("reads the merchant's current run of labelled frauds: its age in days and the fraud share of its settled traffic", () => {
    expect(computeFeatures(input, empty)).toMatchObject({ merchant_fraud_run_days: 60, merchant_run_fraud_rate: 0 });
    const run = { ...noLabelRisk, firstFraudAgeMs: 20.5 * DAY_MS, runSettledTransactions: 8, runSettledFrauds: 6 };
    expect(computeFeatures(input, empty, run)).toMatchObject({
      merchant_fraud_run_days: 20.5,
      merchant_run_fraud_rate: 0.75,
    });
  });

  it('reads a history that could not be read as long known and quiet, not as a first payment', () => {
    const f = computeFeatures({ ...input, velocityDegraded: true }, unknownHistory(T));
    expect(f).toMatchObject({
      first_seen_customer: 0,
      first_seen_card: 0,
      first_seen_device: 0,
      customer_ip_known: 1,
      customer_age_days: 365,
      card_age_days: 365,
      device_age_days: 365,
      ip_age_days: 365,
      customer_distinct_cards_24h: 0,
      customer_count_30d: 0,
      amount_vs_usual: 1,
      velocity_degraded: 1,
    });
  });

  it('marks a first payment as first-seen, with a neutral amount ratio', () => {
    const f = computeFeatures(input, empty);
    expect(f).toMatchObject({
      amount_usd: 123.45,
      first_seen_customer: 1,
      first_seen_card: 1,
      first_seen_device: 1,
      amount_vs_usual: 1,
      country_mismatch: 0,
      merchant_decline_rate_1h: 0,
    });
  });

  it('compares the amount with the customer mean of the last 30 days and flags a country mismatch', () => {
    const v: VelocitySnapshot = {
      ...empty,
      customer: {
        ...empty.customer,
        count30d: 4,
        amountUsdMinor30d: 10_000,
        seenBefore: true,
        firstSeenAt: T - 2 * DAY_MS,
      },
      card: { count1h: 2, declines1h: 2, seenBefore: true, firstSeenAt: T - DAY_MS },
      merchant: { ...empty.merchant, count1h: 8, declines1h: 6 },
    };
    const f = computeFeatures({ ...input, amountUsdMinor: 25_000, ipCountry: 'NG' }, v);
    expect(f.amount_vs_usual).toBe(10);
    expect(f.country_mismatch).toBe(1);
    expect(f.first_seen_customer).toBe(0);
    expect(f.card_declines_1h).toBe(2);
    expect(f.card_age_days).toBe(1);
    expect(f.merchant_decline_rate_1h).toBe(0.75);
  });

  it('ages a customer by its oldest key, the e-mail by the link key, devices and IPs by their first sighting', () => {
    const v: VelocitySnapshot = {
      ...empty,
      customer: { ...empty.customer, seenBefore: true, firstSeenAt: T - DAY_MS / 2 },
      account: { firstSeenAt: T - 90 * DAY_MS },
      device: { ...empty.device, seenBefore: true, firstSeenAt: T - 3 * DAY_MS },
      ip: { ...empty.ip, firstSeenAt: T - 40 * DAY_MS, distinctCustomers30d: 57, customerSeenBefore: true },
    };
    const f = computeFeatures({ ...input, email: { disposable: true, randomLocal: true } }, v);
    expect(f).toMatchObject({
      customer_age_days: 90,
      email_age_days: 0.5,
      device_age_days: 3,
      ip_age_days: 40,
      ip_distinct_customers_30d: 57,
      customer_ip_known: 1,
      email_disposable: 1,
      email_random: 1,
    });
    expect(computeFeatures(input, empty)).toMatchObject({
      customer_age_days: 0,
      email_age_days: 0,
      device_age_days: 0,
      ip_age_days: 0,
      email_disposable: 0,
    });
  });

  it('reads a transaction without a device as on no new device, so the takeover rules cannot fire on provider events', () => {
    const f = computeFeatures({ ...input, hasDevice: false }, empty);
    expect(f.device_age_days).toBeGreaterThanOrEqual(1);
    expect(f.first_seen_device).toBe(0);
  });

  it('judges an amount against the merchant distribution once it has 20 amounts, with a floor on the spread', () => {
    const amounts = (usd: number[]) => ({
      count: usd.length,
      sumLogMilli: usd.reduce((s, u) => s + amountLogMilli(u * 100), 0),
      sumSqLogMilli: usd.reduce((s, u) => s + amountLogMilli(u * 100) ** 2, 0),
    });
    const at = (usd: number[], pay: number) =>
      computeFeatures(
        { ...input, amountUsdMinor: pay * 100 },
        { ...empty, merchant: { ...empty.merchant, amounts: amounts(usd) } },
      ).amount_merchant_z;
    const spread = Array.from({ length: 40 }, (_, i) => 20 * Math.exp(((i % 5) - 2) * 0.5));
    // ln-amounts with mean ln 20 and spread sqrt(0.5): 400 USD is 3 ln-units above, 4.2 spreads.
    expect(at(spread, 400)).toBeCloseTo(Math.log(20) / Math.sqrt(0.5), 1);
    expect(at(spread, 20)).toBeCloseTo(0, 1);
    expect(at(spread, 1)).toBeLessThan(-4);
    expect(at(spread.slice(0, 19), 400)).toBe(0);
    // One price only: the spread floor (0.5) keeps two items from looking like an outlier.
    expect(
      at(
        Array.from({ length: 30 }, () => 10),
        20,
      ),
    ).toBeCloseTo(Math.log(2) / 0.5, 1);
  });

  it('turns bursts, BIN concentration and sequences into features', () => {
    const v: VelocitySnapshot = {
      ...empty,
      merchant: { ...empty.merchant, newCards10m: 7, declines10m: 5, count10m: 9, count1h: 20 },
      bin: { ...empty.bin, newCards1h: 4 },
      device: { ...empty.device, newCards1h: 3, newCustomers24h: 2 },
      merchantBin: { count1h: 5, sequence10m: 2 },
    };
    expect(computeFeatures(input, v)).toMatchObject({
      merchant_new_cards_10m: 7,
      merchant_declines_10m: 5,
      merchant_count_10m: 9,
      bin_new_cards_1h: 4,
      device_new_cards_1h: 3,
      device_new_customers_24h: 2,
      merchant_bin_count_1h: 5,
      merchant_bin_share_1h: 0.25,
      card_sequence_10m: 2,
    });
  });

  it('does not call absent identities first-seen, nor a missing country a mismatch', () => {
    const f = computeFeatures({ ...input, hasCustomer: false, hasDevice: false, ipCountry: null }, empty);
    expect([f.first_seen_customer, f.first_seen_device, f.country_mismatch]).toEqual([0, 0, 0]);
  });

  it('coerces stored features: unknown names dropped, missing ones zero', () => {
    const f = coerceFeatures({ amount_usd: '12.5', bogus: 3 });
    expect(f.amount_usd).toBe(12.5);
    expect(f.card_count_1h).toBe(0);
    expect('bogus' in f).toBe(false);
  });

  it('stores features without their zeros and reads them back whole', () => {
    const f = computeFeatures(input, empty);
    const stored = JSON.parse(storedFeatures(f)) as Record<string, number>;
    expect(Object.values(stored)).not.toContain(0);
    expect(Object.keys(stored).length).toBeLessThan(Object.keys(f).length);
    expect(coerceFeatures(stored)).toEqual(f);
  });

  it('writes the stored text as JSON.stringify writes the object of the non-zero features', () => {
    const f = { ...computeFeatures(input, empty), amount_usd: -12.25, customer_count_1h: 1e-7, list_block: 1 };
    const nonZero = Object.fromEntries(featureNames.filter((n) => f[n] !== 0).map((n) => [n, f[n]]));
    expect(storedFeatures(f)).toBe(JSON.stringify(nonZero));
    expect(storedFeatures(coerceFeatures({}))).toBe('{}');
  });
});
