import { describe, expect, it } from 'vitest';
import { atThreshold, cardPrecisionAtK, prAuc, rocAuc } from './evaluation.js';

const items = (pairs: [number, 0 | 1][]) => pairs.map(([score, label]) => ({ score, label }));

describe('evaluation metrics', () => {
  it('ROC AUC is 1 for a perfect ranking, 0.5 for ties, and the pair fraction in between', () => {
    expect(
      rocAuc(
        items([
          [0.9, 1],
          [0.8, 1],
          [0.2, 0],
          [0.1, 0],
        ]),
      ),
    ).toBe(1);
    expect(
      rocAuc(
        items([
          [0.5, 1],
          [0.5, 0],
        ]),
      ),
    ).toBe(0.5);
    // pairs (pos, neg): (0.9,0.8) ok, (0.9,0.1) ok, (0.3,0.8) bad, (0.3,0.1) ok → 3/4
    expect(
      rocAuc(
        items([
          [0.9, 1],
          [0.3, 1],
          [0.8, 0],
          [0.1, 0],
        ]),
      ),
    ).toBe(0.75);
    expect(rocAuc(items([[0.9, 0]]))).toBeNull();
  });

  it('PR AUC is average precision', () => {
    // ranks: 1 fraud (P=1), 2 legit, 3 fraud (P=2/3) → (1 + 2/3) / 2
    expect(
      prAuc(
        items([
          [0.9, 1],
          [0.8, 0],
          [0.7, 1],
          [0.1, 0],
        ]),
      ),
    ).toBeCloseTo(5 / 6, 10);
    expect(prAuc(items([[0.9, 0]]))).toBeNull();
  });

  it('precision and recall at a threshold', () => {
    expect(
      atThreshold(
        items([
          [0.9, 1],
          [0.6, 0],
          [0.4, 1],
          [0.1, 0],
        ]),
        0.5,
      ),
    ).toEqual({ threshold: 0.5, flagged: 2, precision: 0.5, recall: 0.5 });
    expect(atThreshold(items([[0.1, 0]]), 0.5)).toEqual({ threshold: 0.5, flagged: 0, precision: null, recall: null });
  });

  it('card precision top-k ranks cards per day by their highest score, and drops cards found on earlier days', () => {
    const tx = (day: number, card: string, score: number, label: 0 | 1) => ({ day, card, score, label });
    const items = [
      // Day 1: card a (fraud) tops with its best transaction, b (legit) second, c (fraud) third.
      tx(1, 'a', 0.1, 0),
      tx(1, 'a', 0.9, 1),
      tx(1, 'b', 0.8, 0),
      tx(1, 'c', 0.7, 1),
      // Day 2: a would top again, but it was found on day 1; d (fraud) and e (legit) are the two.
      tx(2, 'a', 0.99, 1),
      tx(2, 'd', 0.6, 1),
      tx(2, 'e', 0.5, 0),
    ];
    // Day 1: top 2 = a, b → 1/2. Day 2: top 2 = d, e → 1/2.
    expect(cardPrecisionAtK(items, 2)).toBe(0.5);
    // k = 3: day 1 a, b, c → 2/3; day 2 d, e → 1/3.
    expect(cardPrecisionAtK(items, 3)).toBeCloseTo(0.5, 10);
    expect(cardPrecisionAtK([], 3)).toBeNull();
  });
});
