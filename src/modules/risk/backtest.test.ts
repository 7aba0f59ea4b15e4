import { describe, expect, it } from 'vitest';
import { backtest } from './backtest.js';
import { coerceFeatures } from './features.js';
import type { StoredAssessment } from './risk.repository.js';
import { decide, defaultRuleSet } from './rules.js';

function stored(id: string, over: Record<string, number>, label: StoredAssessment['label']): StoredAssessment {
  const features = coerceFeatures({ amount_vs_usual: 1, ...over });
  const v = decide(defaultRuleSet, features, null, null);
  return { transactionId: id, occurredAt: new Date(0), score: v.score, rulesScore: v.rulesScore, modelScore: null, riskLevel: v.riskLevel, decision: v.decision, reasons: v.reasons, features, rulesVersion: 0, modelVersion: null, label };
}

describe('backtest', () => {
  const history = [
    stored('a', {}, 'legit'),
    stored('b', { country_mismatch: 1 }, 'legit'),
    stored('c', { country_mismatch: 1, amount_usd: 2000 }, 'fraud'),
    stored('d', { card_declines_1h: 5, card_count_1h: 6, customer_declines_1h: 4 }, 'fraud'),
    stored('e', {}, null),
  ];

  it('replaying the rules in force changes nothing', () => {
    const r = backtest(history, defaultRuleSet);
    expect(r.changed).toBe(0);
    expect(r.before).toEqual(r.after);
    expect(r).toMatchObject({ transactions: 5, labeled: 4 });
  });

  it('reports how a stricter candidate moves decisions and precision/recall', () => {
    const strict = { ...defaultRuleSet, rules: defaultRuleSet.rules.map((r) => (r.id === 'country_mismatch' ? { ...r, weight: 0.55 } : r)) };
    const r = backtest(history, strict);
    expect(r.before.decisions).toEqual({ approve: 4, review: 0, decline: 1 });
    expect(r.after.decisions).toEqual({ approve: 2, review: 2, decline: 1 });
    expect(r.transitions).toEqual({ 'approve->review': 2 });
    expect(r.before.flagged).toEqual({ precision: 1, recall: 0.5 });
    expect(r.after.flagged).toEqual({ precision: 2 / 3, recall: 1 });
  });
});
