import { describe, expect, it } from 'vitest';
import { twoProportionZ, wilsonInterval } from './statistics.js';

describe('twoProportionZ', () => {
  it('matches the textbook pooled statistic', () => {
    // p1 = 0.8, p2 = 0.9, pooled 0.85: z = −0.1 / √(0.85 · 0.15 · (1/100 + 1/100)) = −1.9803
    expect(twoProportionZ(80, 100, 90, 100)).toBeCloseTo(-1.9803, 4);
    expect(twoProportionZ(90, 100, 80, 100)).toBeCloseTo(1.9803, 4);
    // A 60 % vs 90 % split on 200 and 2000 attempts is overwhelming evidence.
    expect(twoProportionZ(120, 200, 1800, 2000)).toBeLessThan(-10);
  });

  it('is zero without evidence', () => {
    expect(twoProportionZ(0, 0, 5, 10)).toBe(0);
    expect(twoProportionZ(10, 10, 50, 50)).toBe(0);
    expect(twoProportionZ(0, 10, 0, 50)).toBe(0);
  });
});

describe('wilsonInterval', () => {
  it('matches published values', () => {
    // 8 of 10 at 95 %: [0.4902, 0.9433] (Wilson 1927; Newcombe 1998, method 3)
    const interval = wilsonInterval(8, 10)!;
    expect(interval.low).toBeCloseTo(0.4902, 4);
    expect(interval.high).toBeCloseTo(0.9433, 4);
    const zero = wilsonInterval(0, 20)!;
    expect(zero.low).toBe(0);
    expect(zero.high).toBeCloseTo(0.1611, 4);
    expect(wilsonInterval(0, 0)).toBeNull();
  });
});
