import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { retryDelayMs } from './retry-policy.js';

describe('retry backoff', () => {
  it('doubles per attempt up to the cap, with half of it jittered', () => {
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a, 1000, 60_000, () => 1))).toEqual([1000, 2000, 4000, 8000]);
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a, 1000, 60_000, () => 0))).toEqual([500, 1000, 2000, 4000]);
    expect(retryDelayMs(30, 1000, 60_000, () => 1)).toBe(60_000);
  });

  it('always stays between half and all of the exponential delay', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempts, r) => {
          const full = Math.min(3_600_000, 1000 * 2 ** (attempts - 1));
          const delay = retryDelayMs(attempts, 1000, 3_600_000, () => r);
          expect(delay).toBeGreaterThanOrEqual(Math.round(full / 2));
          expect(delay).toBeLessThanOrEqual(full);
        },
      ),
    );
  });
});
