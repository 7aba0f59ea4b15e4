import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { predictLogistic, trainLogistic } from './logistic-regression.js';
import { seededRandom } from './traffic-simulator.js';

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

  it('always predicts a probability, whatever the input', () => {
    const { rows, labels } = dataset(100, 1);
    const model = trainLogistic(['a', 'b', 'c'], rows, labels);
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e9, max: 1e9, noNaN: true }), { minLength: 3, maxLength: 3 }), (x) => {
        const p = predictLogistic(model, x);
        return p >= 0 && p <= 1;
      }),
    );
  });

  it('handles constant features (zero variance) without NaN', () => {
    const model = trainLogistic(['const', 'x'], [[1, 0], [1, 5], [1, 0], [1, 6]], [0, 1, 0, 1]);
    expect(model.stds[0]).toBe(1);
    expect(Number.isFinite(predictLogistic(model, [1, 5]))).toBe(true);
  });
});
