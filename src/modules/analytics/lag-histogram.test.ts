import { describe, expect, it } from 'vitest';
import { histogramQuantile, LAG_BUCKETS, lagBucket } from './lag-histogram.js';

describe('lag histogram', () => {
  it('puts a lag in the bucket whose upper edge is above it', () => {
    expect(lagBucket(-5_000)).toBe(0);
    expect(lagBucket(0)).toBe(0);
    expect(lagBucket(99)).toBe(0);
    expect(lagBucket(100)).toBe(1);
    expect(lagBucket(999)).toBe(3);
    expect(lagBucket(1_000)).toBe(4);
    expect(lagBucket(86_400_000)).toBe(LAG_BUCKETS - 1);
  });

  it('interpolates quantiles inside the bucket that holds them', () => {
    const counts = new Array<number>(LAG_BUCKETS).fill(0);
    counts[lagBucket(1_500)] = 100; // [1000, 2500)
    expect(histogramQuantile(counts, 0.5)).toBe(1_750);
    expect(histogramQuantile(counts, 1)).toBe(2_500);
    counts[lagBucket(40_000)] = 100; // [30000, 60000)
    expect(histogramQuantile(counts, 0.5)).toBe(2_500);
    expect(histogramQuantile(counts, 0.95)).toBe(30_000 + 0.9 * 30_000);
  });

  it('reports the open last bucket by its lower edge and an empty histogram as null', () => {
    const counts = new Array<number>(LAG_BUCKETS).fill(0);
    expect(histogramQuantile(counts, 0.5)).toBeNull();
    counts[LAG_BUCKETS - 1] = 3;
    expect(histogramQuantile(counts, 0.95)).toBe(86_400_000);
  });
});
