import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { predictLogistic, trainLogistic } from './logistic-regression.js';
import { seededRandom } from '../simulation/traffic-simulator.js';

function dataset(n: number, seed: number) {
  const rnd = seededRandom(seed);
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const fraud = rnd() < 0.1;
    rows.push([fraud ? 5 + rnd() * 10 : rnd() * 3, rnd() * 100, fraud && rnd() < 0.8 ? 1 : 0]);
    labels.push(fraud ? 1 : 0);
  }
  return { rows, labels };
}

describe('logistic regression', () => {
  it('learns a separable signal and ignores noise', () => {
    const { rows, labels } = dataset(600, 3);
    const model = trainLogistic(['signal', 'noise', 'flag'], rows, labels);
    expect(predictLogistic(model, [12, 50, 1])).toBeGreaterThan(0.9);
    expect(predictLogistic(model, [0.5, 50, 0])).toBeLessThan(0.1);
    expect(Math.abs(model.weights[0]!)).toBeGreaterThan(Math.abs(model.weights[1]!) * 3);
  });

  it('is deterministic: the same data gives the same model', () => {
    const { rows, labels } = dataset(200, 9);
    expect(trainLogistic(['a', 'b', 'c'], rows, labels)).toEqual(trainLogistic(['a', 'b', 'c'], rows, labels));
  });

  it('stronger L2 shrinks the weights', () => {
    const { rows, labels } = dataset(300, 5);
    const loose = trainLogistic(['a', 'b', 'c'], rows, labels, { l2: 0, learningRate: 0.5, iterations: 300 });
    const tight = trainLogistic(['a', 'b', 'c'], rows, labels, { l2: 1, learningRate: 0.5, iterations: 300 });
    const norm = (w: number[]) => Math.hypot(...w);
    expect(norm(tight.weights)).toBeLessThan(norm(loose.weights));
  });

  it('moves the probability with each feature in the direction of its weight, whatever the others are', () => {
    const { rows, labels } = dataset(100, 1);
    const model = trainLogistic(['signal', 'noise', 'flag'], rows, labels);
    // The signal and the flag mark fraud in this data, so their weights raise the probability.
    expect(model.weights[0]).toBeGreaterThan(0);
    expect(model.weights[2]).toBeGreaterThan(0);
    const value = fc.double({ min: -1e9, max: 1e9, noNaN: true });
    fc.assert(
      fc.property(fc.tuple(value, value, value), fc.integer({ min: 0, max: 2 }), value, value, (x, j, v1, v2) => {
        const [low, high] = v1 <= v2 ? [v1, v2] : [v2, v1];
        const at = (v: number) =>
          predictLogistic(
            model,
            x.map((other, i) => (i === j ? v : other)),
          );
        const [pLow, pHigh] = [at(low), at(high)];
        // 1e-12 absorbs rounding between neighbouring doubles; a reversed or misplaced feature moves far more.
        const ordered = model.weights[j]! >= 0 ? pLow <= pHigh + 1e-12 : pLow >= pHigh - 1e-12;
        return ordered && pLow >= 0 && pLow <= 1 && pHigh >= 0 && pHigh <= 1;
      }),
    );
    // Away from saturation (values up to 6 keep this model far from 0 and 1), every feature counts: a step of 1 or more moves it.
    const typical = fc.double({ min: 0, max: 3, noNaN: true });
    fc.assert(
      fc.property(
        fc.tuple(typical, typical, typical),
        fc.integer({ min: 0, max: 2 }),
        typical,
        fc.double({ min: 1, max: 3, noNaN: true }),
        (x, j, low, step) => {
          const at = (v: number) =>
            predictLogistic(
              model,
              x.map((other, i) => (i === j ? v : other)),
            );
          return model.weights[j]! > 0 ? at(low) < at(low + step) : at(low) > at(low + step);
        },
      ),
    );
  });

  it('handles constant features (zero variance) without NaN', () => {
    const model = trainLogistic(
      ['const', 'x'],
      [
        [1, 0],
        [1, 5],
        [1, 0],
        [1, 6],
      ],
      [0, 1, 0, 1],
    );
    expect(model.stds[0]).toBe(1);
    expect(Number.isFinite(predictLogistic(model, [1, 5]))).toBe(true);
  });
});
