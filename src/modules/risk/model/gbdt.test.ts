import { describe, expect, it } from 'vitest';
import { rocAuc } from './evaluation.js';
import { predictLogistic, trainLogistic } from './logistic-regression.js';
import { seededRandom } from '../simulation/traffic-simulator.js';
import { explainGbdt, fitPlatt, gbdtMargin, predictGbdt, trainGbdt } from './gbdt.js';

/** XOR of two signs plus a noise feature: no linear model can rank it better than chance. */
function xorData(n: number, seed: number) {
  const rnd = seededRandom(seed);
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = rnd() * 2 - 1;
    const y = rnd() * 2 - 1;
    rows.push([x, y, rnd()]);
    labels.push(x > 0 !== y > 0 ? 1 : 0);
  }
  return { rows, labels };
}

const names = ['x', 'y', 'noise'];

describe('gradient-boosted trees', () => {
  it('learns an interaction (XOR) that logistic regression cannot', () => {
    const train = xorData(3000, 1);
    const test = xorData(2000, 2);
    const gbdt = trainGbdt(names, train.rows, train.labels, { trees: 60, maxDepth: 3 });
    const logistic = trainLogistic(names, train.rows, train.labels);
    const auc = (score: (r: number[]) => number) =>
      rocAuc(test.rows.map((r, i) => ({ score: score(r), label: test.labels[i] as 0 | 1 })))!;
    expect(auc((r) => predictGbdt(gbdt, r))).toBeGreaterThan(0.97);
    expect(auc((r) => predictLogistic(logistic, r))).toBeLessThan(0.6);
  });

  it('is deterministic: the same data and seed give the same model; another seed with subsampling another', () => {
    const { rows, labels } = xorData(1000, 3);
    const a = trainGbdt(names, rows, labels, { trees: 20, subsample: 0.7, seed: 5 });
    const b = trainGbdt(names, rows, labels, { trees: 20, subsample: 0.7, seed: 5 });
    const c = trainGbdt(names, rows, labels, { trees: 20, subsample: 0.7, seed: 6 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(c)).not.toBe(JSON.stringify(a));
  });

  it('survives a JSON round trip (stored model versions) with identical predictions', () => {
    const { rows, labels } = xorData(800, 4);
    const model = trainGbdt(names, rows, labels, { trees: 15 });
    const copy = JSON.parse(JSON.stringify(model)) as typeof model;
    for (const r of rows.slice(0, 50)) expect(predictGbdt(copy, r)).toBe(predictGbdt(model, r));
  });

  it('path contributions add up to the calibrated log-odds, and credit the features that matter', () => {
    const { rows, labels } = xorData(2000, 7);
    const model = trainGbdt(names, rows, labels, { trees: 40, maxDepth: 3 });
    let noise = 0;
    let signal = 0;
    for (const r of rows.slice(0, 200)) {
      const p = predictGbdt(model, r);
      const { expected, contributions } = explainGbdt(model, r);
      expect(expected + contributions.reduce((s, c) => s + c, 0)).toBeCloseTo(Math.log(p / (1 - p)), 8);
      signal += Math.abs(contributions[0]!) + Math.abs(contributions[1]!);
      noise += Math.abs(contributions[2]!);
    }
    expect(noise).toBeLessThan(signal / 5);
  });

  it('calibration keeps the order, stays in [0, 1], and matches observed rates on held-out data', () => {
    const rnd = seededRandom(11);
    const rows: number[][] = [];
    const labels: number[] = [];
    // A true probability of 0.05 below 0.5 and 0.6 above it: a well-calibrated model reports about those.
    for (let i = 0; i < 6000; i++) {
      const x = rnd();
      rows.push([x]);
      labels.push(rnd() < (x > 0.5 ? 0.6 : 0.05) ? 1 : 0);
    }
    const model = trainGbdt(['x'], rows, labels, { trees: 30, maxDepth: 2 });
    expect(model.calibration.a).toBeGreaterThan(0);
    const grid = Array.from({ length: 101 }, (_, i) => predictGbdt(model, [i / 100]));
    for (const p of grid) expect(p).toBeGreaterThanOrEqual(0);
    for (const p of grid) expect(p).toBeLessThanOrEqual(1);
    const margins = grid.map((_, i) => gbdtMargin(model, [i / 100]));
    for (let i = 1; i < grid.length; i++)
      if (margins[i]! >= margins[i - 1]!) expect(grid[i]!).toBeGreaterThanOrEqual(grid[i - 1]!);
    expect(predictGbdt(model, [0.2])).toBeGreaterThan(0.02);
    expect(predictGbdt(model, [0.2])).toBeLessThan(0.1);
    expect(predictGbdt(model, [0.8])).toBeGreaterThan(0.5);
    expect(predictGbdt(model, [0.8])).toBeLessThan(0.7);
  });

  it('cuts exactly at a class boundary in a rare tail, whatever the other cuts (every amount above 120 is fraud, 1 row in 200)', () => {
    const rnd = seededRandom(13);
    const normal = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
    const rows: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const amount = Math.round(Math.exp(3 + 0.7 * normal()) * 100) / 100;
      rows.push([amount, rnd()]);
      labels.push(amount > 120 ? 1 : 0);
    }
    expect(labels.filter((l) => l === 1).length).toBeLessThan(200);
    const model = trainGbdt(['amount', 'noise'], rows, labels, { trees: 30, maxDepth: 2, maxBins: 16 });
    const cuts = model.trees.flatMap((t) => t.threshold.filter((_, i) => t.feature[i] === 0));
    const nearest = cuts.reduce((best, c) => (Math.abs(c - 120) < Math.abs(best - 120) ? c : best), Infinity);
    expect(Math.abs(nearest - 120)).toBeLessThan(1);
    expect(predictGbdt(model, [121, 0.5])).toBeGreaterThan(0.9);
    expect(predictGbdt(model, [118, 0.5])).toBeLessThan(0.05);
  });

  it('Platt scaling falls back to the identity when the slice has one class', () => {
    expect(fitPlatt([1, 2, 3], [0, 0, 0])).toEqual({ a: 1, b: 0 });
    const fitted = fitPlatt([-2, -1, 0, 1, 2, 3], [0, 0, 1, 0, 1, 1]);
    expect(fitted.a).toBeGreaterThan(0);
  });
});
