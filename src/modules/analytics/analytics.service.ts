import { eventStatuses } from '../normalize/index.js';
import { histogramQuantile } from './lag-histogram.js';
import { addCounters, emptyCounters, type SliceDimension } from './rollup.js';
import type { DimensionColumn, RollupFilter, RollupRepository, SeriesRow } from './rollup.repository.js';
import { effectiveWindow, floorTo, granularityMs, type Granularity } from './time-ranges.js';

export const metrics = ['approval_rate', 'count', 'volume_usd'] as const;
export type Metric = (typeof metrics)[number];

/** API group-by names → rollup columns. */
export const groupByColumns = {
  provider: 'provider',
  currency: 'currency',
  cardCountry: 'card_country',
  cardBrand: 'card_brand',
  failureReason: 'failure_reason',
} as const satisfies Record<string, DimensionColumn>;
export type GroupBy = keyof typeof groupByColumns;

/** A series may not have more points than this; a wider window needs a coarser interval. */
export const MAX_POINTS = 5_000;

export interface Window {
  from: Date;
  to: Date;
}

export interface Summary {
  from: string;
  to: string;
  count: number;
  approvalRate: number | null;
  volumeUsdMinor: number;
  averageTicketUsdMinor: number | null;
  byStatus: Record<string, number>;
  ingestionLagMs: { p50: number | null; p95: number | null };
  riskDecisions: { approve: number; review: number; decline: number };
}

export interface Series {
  metric: Metric;
  interval: Granularity;
  groupBy: GroupBy | null;
  from: string;
  to: string;
  series: { key: string | null; points: { t: string; value: number | null }[] }[];
}

export interface FailureReasonShare {
  reason: string;
  count: number;
  share: number;
  declineType: string | null;
}

/** approved ÷ (approved + declined + failed): pending, refunds and the like say nothing about acceptance. */
export function approvalRate(approved: number, attempted: number): number | null {
  return attempted === 0 ? null : approved / attempted;
}

/** An interval that keeps a provider's approval-rate chart readable for the window (minutes only where they are kept). */
export function intervalFor(window: { from: number; to: number }, minuteHorizon: number): Granularity {
  const span = window.to - window.from;
  if (span <= 6 * 3_600_000 && window.from >= minuteHorizon) return 'minute';
  if (span <= 14 * 86_400_000) return 'hour';
  return 'day';
}

/** Why a series cannot be answered at the interval asked for. */
export type SeriesRefusal = { refused: 'too_many_points' } | { refused: 'minutes_pruned'; horizon: number };

/** Answers the analytics API from the rollups only; nothing here reads events. */
export class AnalyticsService {
  constructor(
    private readonly rollups: RollupRepository,
    /** Where minute rollups begin (older ones are pruned): an epoch-ms hour boundary. */
    readonly minuteHorizon: () => number,
  ) {}

  /** The window the rollups can answer for what was asked (see effectiveWindow). */
  windowFor(window: Window): { from: number; to: number } {
    return effectiveWindow(window.from, window.to, this.minuteHorizon());
  }

  async summary(tenantId: string, window: Window, filter: RollupFilter): Promise<Summary> {
    const w = this.windowFor(window);
    const rows = filter.providers?.length
      ? await this.rollups.sliceBreakdown(tenantId, w.from, w.to, 'provider', filter.providers, [
          'status',
          'risk_decision',
        ])
      : await this.rollups.sliceBreakdown(tenantId, w.from, w.to, 'all', undefined, ['status', 'risk_decision']);
    const total = emptyCounters();
    const byStatus: Record<string, number> = Object.fromEntries(eventStatuses.map((s) => [s, 0]));
    const riskDecisions = { approve: 0, review: 0, decline: 0 };
    for (const row of rows) {
      addCounters(total, row);
      byStatus[row.status] = (byStatus[row.status] ?? 0) + row.count;
      if (row.risk_decision === 'approve' || row.risk_decision === 'review' || row.risk_decision === 'decline')
        riskDecisions[row.risk_decision] += row.count;
    }
    const approved = byStatus.approved ?? 0;
    return {
      from: new Date(w.from).toISOString(),
      to: new Date(w.to).toISOString(),
      count: total.count,
      approvalRate: approvalRate(approved, approved + (byStatus.declined ?? 0) + (byStatus.failed ?? 0)),
      volumeUsdMinor: total.volumeUsdMinor,
      averageTicketUsdMinor: total.usdCount === 0 ? null : Math.round(total.volumeUsdMinor / total.usdCount),
      byStatus,
      ingestionLagMs: { p50: histogramQuantile(total.lag, 0.5), p95: histogramQuantile(total.lag, 0.95) },
      riskDecisions,
    };
  }

  /** Null when the window would need more than MAX_POINTS points at that interval. */
  /** The series, or why it cannot be answered at this interval (422s for the caller to word). */
  async timeseries(
    tenantId: string,
    window: Window,
    metric: Metric,
    interval: Granularity,
    groupBy: GroupBy | null,
    filter: RollupFilter,
  ): Promise<Series | SeriesRefusal> {
    const w = this.windowFor(window);
    if (interval === 'minute') {
      const horizon = this.minuteHorizon();
      if (w.from < horizon) return { refused: 'minutes_pruned', horizon };
    }
    const from = floorTo(w.from, interval);
    const step = granularityMs(interval);
    const buckets = Math.ceil((w.to - from) / step);
    if (buckets > MAX_POINTS) return { refused: 'too_many_points' };
    const rows = await this.seriesRows(tenantId, interval, from, w.to, groupBy, filter);
    const byKey = new Map<
      string,
      Map<number, { count: number; volume: number; approved: number; attempted: number }>
    >();
    // Ungrouped, there is always exactly one series, even over an empty window.
    if (groupBy === null) byKey.set('', new Map());
    for (const row of rows) {
      const points = byKey.get(row.key) ?? new Map();
      byKey.set(row.key, points);
      points.set(row.bucket, {
        count: row.count,
        volume: row.volumeUsdMinor,
        approved: row.approved,
        attempted: row.attempted,
      });
    }
    const valueOf = (
      p: { count: number; volume: number; approved: number; attempted: number } | undefined,
    ): number | null => {
      if (metric === 'count') return p?.count ?? 0;
      if (metric === 'volume_usd') return p?.volume ?? 0;
      return p ? approvalRate(p.approved, p.attempted) : null;
    };
    const series = [...byKey.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, points]) => ({
        key: groupBy === null ? 'all' : key === '' ? null : key,
        points: Array.from({ length: buckets }, (_, i) => {
          const t = from + i * step;
          return { t: new Date(t).toISOString(), value: valueOf(points.get(t)) };
        }),
      }));
    return { metric, interval, groupBy, from: new Date(from).toISOString(), to: new Date(w.to).toISOString(), series };
  }

  /**
   * Reads the slice that answers the question when there is one (a group-by alone, or a provider
   * filter with or without grouping by provider); a provider filter combined with another
   * group-by needs the full cube.
   */
  private seriesRows(
    tenantId: string,
    interval: Granularity,
    from: number,
    to: number,
    groupBy: GroupBy | null,
    filter: RollupFilter,
  ): Promise<SeriesRow[]> {
    const providers = filter.providers?.length ? filter.providers : undefined;
    if (providers && groupBy !== null && groupBy !== 'provider')
      return this.rollups.series(tenantId, interval, from, to, filter, groupByColumns[groupBy]);
    if (providers)
      return this.rollups.sliceSeries(tenantId, interval, from, to, 'provider', providers, groupBy === 'provider');
    const dimension: SliceDimension = groupBy === null ? 'all' : groupByColumns[groupBy];
    return this.rollups.sliceSeries(tenantId, interval, from, to, dimension, undefined, groupBy !== null);
  }

  async failureReasons(tenantId: string, window: Window, filter: RollupFilter): Promise<FailureReasonShare[]> {
    const w = this.windowFor(window);
    const byReason = filter.providers?.length
      ? (await this.rollups.breakdown(tenantId, w.from, w.to, filter, ['failure_reason', 'decline_type'])).map((r) => ({
          reason: r.failure_reason,
          declineType: r.decline_type,
          count: r.count,
        }))
      : (await this.rollups.sliceBreakdown(tenantId, w.from, w.to, 'failure_decline', undefined, ['value'])).map(
          (r) => {
            const [reason = '', declineType = ''] = r.value.split('/');
            return { reason, declineType, count: r.count };
          },
        );
    const reasons = new Map<string, { count: number; declineTypes: Map<string, number> }>();
    for (const row of byReason) {
      if (row.reason === '') continue;
      const entry = reasons.get(row.reason) ?? { count: 0, declineTypes: new Map<string, number>() };
      reasons.set(row.reason, entry);
      entry.count += row.count;
      entry.declineTypes.set(row.declineType, (entry.declineTypes.get(row.declineType) ?? 0) + row.count);
    }
    const total = [...reasons.values()].reduce((sum, r) => sum + r.count, 0);
    return [...reasons.entries()]
      .map(([reason, entry]) => ({
        reason,
        count: entry.count,
        share: entry.count / total,
        declineType: mostCommonDeclineType(entry.declineTypes),
      }))
      .sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : 1));
  }
}

/** The most frequent known decline type; ties go to the alphabetically first so answers are stable. */
function mostCommonDeclineType(counts: Map<string, number>): string | null {
  let best: string | null = null;
  let bestCount = 0;
  for (const [type, count] of [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (type !== '' && count > bestCount) {
      best = type;
      bestCount = count;
    }
  }
  return best;
}
