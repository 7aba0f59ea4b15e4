export const granularities = ['minute', 'hour', 'day'] as const;
export type Granularity = (typeof granularities)[number];

const stepMs: Record<Granularity, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

export function granularityMs(granularity: Granularity): number {
  return stepMs[granularity];
}

/** Start of the UTC bucket holding `time` (epoch time is UTC, so flooring is exact for all three). */
export function floorTo(time: number, granularity: Granularity): number {
  const step = stepMs[granularity];
  return Math.floor(time / step) * step;
}

export function ceilTo(time: number, granularity: Granularity): number {
  const step = stepMs[granularity];
  return Math.ceil(time / step) * step;
}

export interface BucketRange {
  granularity: Granularity;
  /** Inclusive bucket start (ms). */
  start: number;
  /** Exclusive bucket start (ms). */
  end: number;
}

const finer: Record<Granularity, Granularity | null> = { day: 'hour', hour: 'minute', minute: null };

/**
 * Covers the minute-aligned window [from, to) with the fewest rollup rows: whole days from the day
 * rollup, whole hours around them from the hour rollup, and the remaining minutes at the edges.
 */
export function planRanges(from: number, to: number, granularity: Granularity = 'day'): BucketRange[] {
  if (from >= to) return [];
  const next = finer[granularity];
  if (next === null) return [{ granularity, start: from, end: to }];
  const start = ceilTo(from, granularity);
  const end = floorTo(to, granularity);
  if (start >= end) return planRanges(from, to, next);
  return [...planRanges(from, start, next), { granularity, start, end }, ...planRanges(end, to, next)];
}

/**
 * Rollups resolve time to the minute: a window starts at the minute holding `from` and ends after
 * the minute holding the instant before `to`, so "now" includes the current minute. Before
 * `minuteHorizon` (hour-aligned: minute rollups older than it are pruned) an edge resolves to the hour
 * instead, outward, so the window still covers every instant asked for.
 */
export function effectiveWindow(
  from: Date,
  to: Date,
  minuteHorizon = Number.NEGATIVE_INFINITY,
): { from: number; to: number } {
  const start = floorTo(from.getTime(), 'minute');
  const end = ceilTo(to.getTime(), 'minute');
  return {
    from: start < minuteHorizon ? floorTo(start, 'hour') : start,
    to: end <= minuteHorizon ? ceilTo(end, 'hour') : end,
  };
}
