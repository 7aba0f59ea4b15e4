import { describe, expect, it } from 'vitest';
import { coerceFeatures, computeFeatures, storedFeatures, type FeatureInput } from './features.js';
import type { VelocitySnapshot } from './velocity-store.js';

const empty: VelocitySnapshot = {
  customer: { count1h: 0, count24h: 0, count7d: 0, amountUsdMinor1h: 0, amountUsdMinor24h: 0, amountUsdMinor7d: 0, declines1h: 0, distinctCards24h: 1, seenBefore: false },
  card: { count1h: 0, declines1h: 0, seenBefore: false },
  device: { distinctCards24h: 1, distinctCustomers24h: 1, seenBefore: false },
  ip: { count1h: 0, distinctCustomers24h: 1 },
  merchant: { count1h: 0, declines1h: 0 },
};
const input: FeatureInput = { amountUsdMinor: 12_345, cardCountry: 'US', ipCountry: 'us', hasCustomer: true, hasCard: true, hasDevice: true, listBlock: false, listAllow: false };

describe('computeFeatures', () => {
  it('marks a first payment as first-seen, with a neutral amount ratio', () => {
    const f = computeFeatures(input, empty);
    expect(f).toMatchObject({ amount_usd: 123.45, first_seen_customer: 1, first_seen_card: 1, first_seen_device: 1, amount_vs_usual: 1, country_mismatch: 0, merchant_decline_rate_1h: 0 });
  });

  it('compares the amount with the customer mean of the last 7 days and flags a country mismatch', () => {
    const v: VelocitySnapshot = {
      ...empty,
      customer: { ...empty.customer, count7d: 4, amountUsdMinor7d: 10_000, seenBefore: true },
      card: { count1h: 2, declines1h: 2, seenBefore: true },
      merchant: { count1h: 8, declines1h: 6 },
    };
    const f = computeFeatures({ ...input, amountUsdMinor: 25_000, ipCountry: 'NG' }, v);
    expect(f.amount_vs_usual).toBe(10);
    expect(f.country_mismatch).toBe(1);
    expect(f.first_seen_customer).toBe(0);
    expect(f.card_declines_1h).toBe(2);
    expect(f.merchant_decline_rate_1h).toBe(0.75);
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
});
