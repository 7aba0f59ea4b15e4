/**
 * Two-proportion z statistic for p1 = x1/n1 against p2 = x2/n2 under the pooled null hypothesis
 * p1 = p2. Negative when the first proportion is lower. Zero when either sample is empty or both
 * proportions sit at the same boundary (no variance, no evidence).
 */
export function twoProportionZ(x1: number, n1: number, x2: number, n2: number): number {
  if (n1 <= 0 || n2 <= 0) return 0;
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const pooled = (x1 + x2) / (n1 + n2);
  const variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2);
  if (variance === 0) return 0;
  return (p1 - p2) / Math.sqrt(variance);
}

/** Wilson score interval for x successes in n trials at the given z (1.96 ≈ 95 %). */
export function wilsonInterval(x: number, n: number, z = 1.96): { low: number; high: number } | null {
  if (n <= 0) return null;
  const p = x / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const margin = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { low: Math.max(0, centre - margin), high: Math.min(1, centre + margin) };
}
