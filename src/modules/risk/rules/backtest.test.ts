import { describe, expect, it } from 'vitest';
import { backtest } from './backtest.js';
import { coerceFeatures } from '../features.js';
import type { StoredAssessment } from '../risk.repository.js';
import type { Decision, Rule, RuleSet } from './rules.js';

const rule = (id: string, feature: Rule['feature'], op: Rule['op'], value: number, weight: number): Rule => ({
  id,
  feature,
  op,
  value,
  weight,
  message: id,
  enabled: true,
  and: [],
});

/**
 * A small rule set written out here so every expected decision below can be worked by hand:
 * fired weights combine as 1 − Π(1 − w), blended as 0.6·p + 0.4·rules when a model scored the
 * transaction; ≥ 0.5 is review, ≥ 0.8 decline; a stored block-list hit declines, an allow-list hit approves.
 */
const inForce: RuleSet = {
  thresholds: { medium: 0.3, high: 0.5, critical: 0.8 },
  modelWeight: 0.6,
  rules: [
    rule('declines', 'card_declines_1h', 'gte', 3, 0.6),
    rule('velocity', 'card_count_1h', 'gte', 5, 0.5),
    rule('mismatch', 'country_mismatch', 'eq', 1, 0.2),
    rule('big', 'amount_usd', 'gte', 1000, 0.15),
  ],
};
/** The same, with the country mismatch weighted 0.55 instead of 0.2. */
const stricter: RuleSet = {
  ...inForce,
  rules: inForce.rules.map((r) => (r.id === 'mismatch' ? { ...r, weight: 0.55 } : r)),
};

/** An assessment as the repository returns it: the decision it got when it was scored under `inForce`. */
function stored(
  id: string,
  decision: Decision,
  features: Record<string, number>,
  label: StoredAssessment['label'],
  model: { probability: number; version: number } | null = null,
): StoredAssessment {
  return {
    transactionId: id,
    occurredAt: new Date(0),
    score: 0,
    rulesScore: 0,
    modelScore: model?.probability ?? null,
    riskLevel: decision === 'approve' ? 'low' : decision === 'review' ? 'high' : 'critical',
    decision,
    reasons: [],
    features: coerceFeatures(features),
    rulesVersion: 1,
    modelVersion: model?.version ?? null,
    label,
  };
}

// Scores under inForce → stricter, worked by hand:
const history = [
  stored('a', 'approve', {}, 'legit'), // 0 → 0
  stored('b', 'approve', { country_mismatch: 1 }, 'legit'), // 0.2 → 0.55 (review)
  stored('c', 'approve', { country_mismatch: 1, amount_usd: 2000 }, 'fraud'), // 1 − 0.8·0.85 = 0.32 → 1 − 0.45·0.85 = 0.6175 (review)
  stored('d', 'decline', { card_declines_1h: 5, card_count_1h: 6, country_mismatch: 1 }, 'fraud'), // 1 − 0.4·0.5·0.8 = 0.84 → 0.91
  stored('e', 'approve', {}, null), // 0 → 0, unlabelled
  // 0.6·0.99 + 0.4·0.2 = 0.674 (review) → 0.594 + 0.4·0.55 = 0.814 (decline); the rules alone would only review it.
  stored('f', 'review', { country_mismatch: 1 }, 'fraud', { probability: 0.99, version: 3 }),
  stored('g', 'decline', { list_block: 1 }, 'fraud'), // blocked when scored: declined whatever the rules say
  stored('h', 'approve', { list_allow: 1, card_declines_1h: 5, card_count_1h: 6 }, 'legit'), // 0.8 by the rules, allowed when scored
];

describe('backtest', () => {
  it('replaying the rules in force changes nothing', () => {
    const r = backtest(history, inForce);
    expect(r).toMatchObject({ transactions: 8, labeled: 7, changed: 0, transitions: {} });
    expect(r.after.decisions).toEqual({ approve: 5, review: 1, decline: 2 });
    expect(r.after).toEqual(r.before);
  });

  it('reports how a stricter candidate moves decisions and precision/recall', () => {
    const r = backtest(history, stricter);
    expect(r).toMatchObject({ transactions: 8, labeled: 7, changed: 3 });
    expect(r.transitions).toEqual({ 'approve->review': 2, 'review->decline': 1 });
    expect(r.before.decisions).toEqual({ approve: 5, review: 1, decline: 2 });
    expect(r.after.decisions).toEqual({ approve: 3, review: 2, decline: 3 });
    // Frauds: c, d, f, g. Flagged before: d, f, g; after: b, c, d, f, g. Declined before: d, g; after: d, f, g.
    expect(r.before.flagged).toEqual({ precision: 1, recall: 3 / 4 });
    expect(r.after.flagged).toEqual({ precision: 4 / 5, recall: 1 });
    expect(r.before.declined).toEqual({ precision: 1, recall: 2 / 4 });
    expect(r.after.declined).toEqual({ precision: 1, recall: 3 / 4 });
  });
});
