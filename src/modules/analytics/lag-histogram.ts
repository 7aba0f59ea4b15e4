/**
 * Ingestion lag (receivedAt − occurredAt) is kept as a fixed histogram per rollup row, so
 * percentiles over any window are a sum of counters rather than a scan of events. The bounds are
 * the exclusive upper edges in milliseconds; the last bucket is open (≥ 1 day).
 */
export const LAG_BOUNDS_MS = [
  100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000, 900_000, 3_600_000, 21_600_000, 86_400_000,
] as const;

export const LAG_BUCKETS = LAG_BOUNDS_MS.length + 1;

/** Column names of the histogram in the rollup table: lag_0 … lag_14. */
export const lagColumns = Array.from({ length: LAG_BUCKETS }, (_, i) => `lag_${i}` as const);
export type LagColumn = (typeof lagColumns)[number];

/** The bucket index of a lag; a negative lag (clock skew between provider and us) counts as the fastest. */
export function lagBucket(lagMs: number): number {
  let index = 0;
  while (index < LAG_BOUNDS_MS.length && lagMs >= LAG_BOUNDS_MS[index]!) index += 1;
  return index;
}

/**
 * Estimates the q-quantile (0–1) of a histogram by linear interpolation inside the bucket that
 * holds it; the open last bucket reports its lower edge. Null when the histogram is empty.
 */
export function histogramQuantile(counts: readonly number[], q: number): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i += 1) {
    const count = counts[i]!;
    if (count > 0 && seen + count >= rank) {
      const lower = i === 0 ? 0 : LAG_BOUNDS_MS[i - 1]!;
      const upper = LAG_BOUNDS_MS[i];
      if (upper === undefined) return lower;
      return Math.round(lower + ((rank - seen) / count) * (upper - lower));
    }
    seen += count;
  }
  return LAG_BOUNDS_MS[LAG_BOUNDS_MS.length - 1]!;
}
