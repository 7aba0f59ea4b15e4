import { describe, expect, it } from 'vitest';
import { coerceFeatures } from '../features.js';
import { decide, defaultRuleSet, evaluateRules, levelOf, ruleSetSchema, type RuleSet } from './rules.js';

const features = (over: Record<string, number> = {}) => coerceFeatures({ amount_usd: 20, amount_vs_usual: 1, ...over });

describe('rules', () => {
  it('fires nothing for an ordinary payment', () => {
    const v = decide(defaultRuleSet, features(), null, null);
    expect(v).toMatchObject({ score: 0, riskLevel: 'low', decision: 'approve', reasons: [] });
  });

  it('combines fired rules as noisy-OR and explains them, strongest first', () => {
    const r = evaluateRules(defaultRuleSet, features({ card_declines_1h: 4, country_mismatch: 1 }));
    expect(r.score).toBeCloseTo(1 - (1 - 0.6) * (1 - 0.2), 10);
    expect(r.reasons.map((x) => x.code)).toEqual(['card_testing_card', 'country_mismatch']);
  });

  it('requires every extra condition of a rule (account takeover)', () => {
    const ato = { first_seen_device: 1, first_seen_customer: 0, country_mismatch: 1, amount_vs_usual: 6 };
    expect(evaluateRules(defaultRuleSet, features(ato)).reasons.map((r) => r.code)).toContain('account_takeover');
    expect(
      evaluateRules(defaultRuleSet, features({ ...ato, first_seen_customer: 1 })).reasons.map((r) => r.code),
    ).not.toContain('account_takeover');
  });

  it('reviews the classic attacks at cold start and approves their legitimate look-alikes', () => {
    const decision = (over: Record<string, number>) => decide(defaultRuleSet, features(over), null, null).decision;
    const newAccount = {
      first_seen_customer: 1,
      first_seen_card: 1,
      first_seen_device: 1,
      customer_age_days: 0,
      amount_usd: 450,
    };
    expect(decision({ ...newAccount, email_disposable: 1 })).toBe('review');
    expect(decision({ ...newAccount, email_random: 1 })).toBe('review');
    expect(decision(newAccount)).toBe('approve');
    expect(decision({ ...newAccount, amount_merchant_z: 3, country_mismatch: 1 })).toBe('review');
    expect(decision({ ...newAccount, amount_merchant_z: 3 })).toBe('approve');
    // A known customer on a device first seen today: a takeover pays far above usual, a new phone does not.
    const newDevice = {
      customer_age_days: 200,
      customer_count_30d: 6,
      device_age_days: 0,
      first_seen_device: 1,
      ip_age_days: 300,
      ip_distinct_customers_30d: 80,
    };
    expect(decision({ ...newDevice, amount_vs_usual: 6 })).toBe('review');
    expect(decision({ ...newDevice, amount_vs_usual: 6, ip_age_days: 0, ip_distinct_customers_30d: 1 })).toBe(
      'decline',
    );
    expect(decision({ ...newDevice, amount_vs_usual: 2.2, ip_age_days: 0, ip_distinct_customers_30d: 1 })).toBe(
      'review',
    );
    expect(decision({ ...newDevice, amount_vs_usual: 1.1, ip_age_days: 0, ip_distinct_customers_30d: 1 })).toBe(
      'approve',
    );
    expect(decision({ ...newDevice, amount_vs_usual: 2.2 })).toBe('approve');
    // From a fresh address nobody else used: held from abroad at the usual amount, or at home just
    // above the account's level; a new phone on an old, shared carrier address is not.
    const freshIp = { ...newDevice, ip_age_days: 0, ip_distinct_customers_30d: 1 };
    expect(decision({ ...freshIp, country_mismatch: 1 })).toBe('review');
    expect(decision({ ...freshIp, amount_vs_usual: 1.4 })).toBe('review');
    expect(decision({ ...freshIp, amount_merchant_z: 2 })).toBe('review');
    expect(decision({ ...newDevice, country_mismatch: 1, amount_vs_usual: 1.4, amount_merchant_z: 2 })).toBe('approve');
    // Without a device id (it reads as long known), a fresh unshared address and 3× the usual amount.
    const noDevice = { customer_age_days: 200, customer_count_30d: 6, device_age_days: 365, ip_age_days: 0 };
    expect(decision({ ...noDevice, ip_distinct_customers_30d: 1, amount_vs_usual: 3.5 })).toBe('review');
    expect(decision({ ...noDevice, ip_distinct_customers_30d: 40, amount_vs_usual: 3.5 })).toBe('approve');
    // Card testing: a small amount on a new card while the merchant sees a burst of other new cards.
    const testing = { amount_usd: 1.5, card_age_days: 0, merchant_new_cards_1h: 7 };
    expect(decision(testing)).toBe('review');
    expect(decision({ ...testing, card_age_days: 400 })).toBe('approve');
    expect(decision({ ...testing, amount_usd: 60 })).toBe('approve');
    expect(decision({ ...testing, merchant_declines_10m: 6, device_new_cards_1h: 3 })).toBe('decline');
    // A carrier-NAT address shared for months by many customers is no reason for suspicion.
    expect(
      decision({ ip_distinct_customers_24h: 40, ip_age_days: 90, ip_distinct_customers_30d: 150, country_mismatch: 1 }),
    ).toBe('approve');
  });

  it('maps scores to levels at 0.3 / 0.5 / 0.8 and levels to decisions', () => {
    expect([0.29, 0.3, 0.5, 0.79, 0.8].map((s) => levelOf(s, defaultRuleSet.thresholds))).toEqual([
      'low',
      'medium',
      'high',
      'high',
      'critical',
    ]);
    const card = features({ card_declines_1h: 5, card_count_1h: 6, customer_declines_1h: 4 });
    expect(decide(defaultRuleSet, card, null, null).decision).toBe('decline');
  });

  it('blends the model probability with the rules score by modelWeight', () => {
    const v = decide(defaultRuleSet, features({ country_mismatch: 1 }), 0.9, 3);
    expect(v.score).toBeCloseTo(0.6 * 0.9 + 0.4 * 0.2, 4);
    expect(v.modelScore).toBe(0.9);
    expect(v.reasons.find((r) => r.code === 'model')?.message).toContain('v3');
  });

  it('block lists decline with their reason; allow lists approve; block wins over allow', () => {
    const blocked = decide(defaultRuleSet, features({ list_block: 1 }), null, null, [
      { type: 'ip', action: 'block', reason: 'botnet' },
    ]);
    expect(blocked).toMatchObject({ score: 1, decision: 'decline', riskLevel: 'critical' });
    expect(blocked.reasons[0]).toMatchObject({ code: 'list_block', message: expect.stringContaining('botnet') });
    const allowed = decide(
      defaultRuleSet,
      features({ card_declines_1h: 9, card_count_1h: 9, customer_declines_1h: 9 }),
      null,
      null,
      [{ type: 'email', action: 'allow', reason: 'VIP' }],
    );
    expect(allowed.decision).toBe('approve');
    const both = decide(defaultRuleSet, features(), null, null, [
      { type: 'email', action: 'allow', reason: 'VIP' },
      { type: 'ip', action: 'block', reason: 'botnet' },
    ]);
    expect(both.decision).toBe('decline');
  });

  it('validates rule sets: known features, rising thresholds, unique ids, weights in [0, 1]', () => {
    expect(ruleSetSchema.safeParse(defaultRuleSet).success).toBe(true);
    const bad = (change: Partial<RuleSet> | Record<string, unknown>) =>
      ruleSetSchema.safeParse({ ...defaultRuleSet, ...change }).success;
    expect(bad({ thresholds: { medium: 0.5, high: 0.4, critical: 0.9 } })).toBe(false);
    expect(bad({ rules: [{ ...defaultRuleSet.rules[0]!, feature: 'shoe_size' }] })).toBe(false);
    expect(bad({ rules: [defaultRuleSet.rules[0]!, defaultRuleSet.rules[0]!] })).toBe(false);
    expect(bad({ rules: [{ ...defaultRuleSet.rules[0]!, weight: 1.5 }] })).toBe(false);
    const minimal = ruleSetSchema.parse({ rules: [] });
    expect(minimal).toEqual({ rules: [], thresholds: { medium: 0.3, high: 0.5, critical: 0.8 }, modelWeight: 0.6 });
  });
});
