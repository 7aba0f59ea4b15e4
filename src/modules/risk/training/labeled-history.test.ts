import { describe, expect, it } from 'vitest';
import { coerceFeatures } from '../features.js';
import type { QualityReport } from '../model/model-training.js';
import type { LabelValue, StoredAssessment } from '../risk.repository.js';
import { judge, keepLatest, splitByEventTime } from './labeled-history.js';

const assessment = (transactionId: string, minute: number, label: LabelValue, score = 0.1): StoredAssessment => ({
  transactionId,
  occurredAt: new Date(Date.UTC(2026, 0, 1, 0, minute)),
  features: coerceFeatures({}),
  rulesVersion: 0,
  modelVersion: null,
  label,
  score,
  rulesScore: score,
  modelScore: null,
  riskLevel: 'low',
  decision: 'approve',
  reasons: [],
});

const report = (rocAuc: number | null, prAuc: number | null): QualityReport => ({
  transactions: 10,
  frauds: 2,
  rocAuc,
  prAuc,
  review: { threshold: 0.5, flagged: 0, precision: null, recall: null },
  decline: { threshold: 0.8, flagged: 0, precision: null, recall: null },
});

describe('keepLatest', () => {
  it('keeps one assessment per transaction, the latest, at its place in the order', () => {
    const latest = new Map<string, StoredAssessment>();
    for (const a of [assessment('a', 1, 'legit'), assessment('b', 2, 'fraud'), assessment('a', 3, 'fraud', 0.9)])
      keepLatest(latest, a);
    expect([...latest.values()].map((a) => [a.transactionId, a.score])).toEqual([
      ['b', 0.1],
      ['a', 0.9],
    ]);
  });
});

describe('splitByEventTime', () => {
  it('holds out the most recent fifth by event time and never splits one instant', () => {
    const rows = Array.from({ length: 20 }, (_, i) => assessment(`t${i}`, i, i % 4 === 1 ? 'fraud' : 'legit'));
    const split = splitByEventTime([...rows].reverse());
    if ('problem' in split) throw new Error(split.problem);
    expect(split.train.map((a) => a.transactionId)).toEqual(rows.slice(0, 16).map((a) => a.transactionId));
    expect(split.holdout.map((a) => a.transactionId)).toEqual(['t16', 't17', 't18', 't19']);
    expect(split.holdoutFrom.toISOString()).toBe('2026-01-01T00:16:00.000Z');

    // t15 and t16 happened at the same instant: both go to the training side.
    const tied = rows.map((a) => (a.transactionId === 't16' ? { ...a, occurredAt: rows[15]!.occurredAt } : a));
    const second = splitByEventTime(tied);
    if ('problem' in second) throw new Error(second.problem);
    expect(second.holdout.map((a) => a.transactionId)).toEqual(['t17', 't18', 't19']);
  });

  it('needs both classes on both sides and says what it found', () => {
    const rows = Array.from({ length: 10 }, (_, i) => assessment(`t${i}`, i, i < 2 ? 'chargeback' : 'legit'));
    expect(splitByEventTime(rows)).toEqual({
      problem: expect.stringContaining('found 2 fraud / 6 legit before it and 0 / 2 in it'),
    });
  });
});

describe('judge', () => {
  it('activates only a version at least as good on both measures and better on one', () => {
    expect(judge(report(0.9, 0.6), report(0.8, 0.5), 'rules v0 alone')).toEqual({
      activate: true,
      reason: 'held-out ROC AUC 0.900 vs 0.800, average precision 0.600 vs 0.500 for rules v0 alone: better, activated',
    });
    expect(judge(report(0.9, 0.5), report(0.9, 0.4), 'x').activate).toBe(true);
    expect(judge(report(0.9, 0.4), report(0.8, 0.5), 'x')).toMatchObject({
      activate: false,
      reason: expect.stringContaining('lower average precision, kept inactive'),
    });
    expect(judge(report(0.7, 0.4), report(0.8, 0.5), 'x').reason).toContain('lower ROC AUC and average precision');
    expect(judge(report(0.8, 0.5), report(0.8, 0.5), 'x').reason).toContain('no better, kept inactive');
    expect(judge(report(null, null), report(0.8, 0.5), 'x')).toMatchObject({
      activate: false,
      reason: expect.stringContaining('not comparable'),
    });
  });
});
