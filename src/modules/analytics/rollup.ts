import type { PaymentEvent } from '../normalize/index.js';
import { LAG_BUCKETS, lagBucket } from './lag-histogram.js';
import { floorTo, granularities, type Granularity } from './time-ranges.js';

/** The dimensions of a rollup row; '' stands for "none" (primary-key columns cannot be null). */
export interface RollupDimensions {
  provider: string;
  status: string;
  failureReason: string;
  declineType: string;
  currency: string;
  cardCountry: string;
  cardBrand: string;
  riskDecision: string;
}

export interface Counters {
  count: number;
  usdCount: number;
  volumeUsdMinor: number;
  lag: number[];
}

export interface RollupDelta extends RollupDimensions, Counters {
  tenantId: string;
  granularity: Granularity;
  bucket: number;
}

/**
 * The dimensions a slice row is cut by: the whole tenant ('all'), or one dimension at a time.
 * 'failure_decline' pairs a reason with its decline type ("expired_card/hard").
 */
export const sliceDimensions = [
  'all',
  'provider',
  'currency',
  'card_country',
  'card_brand',
  'failure_reason',
  'failure_decline',
] as const;
export type SliceDimension = (typeof sliceDimensions)[number];

export interface SliceDelta extends Counters {
  tenantId: string;
  granularity: Granularity;
  bucket: number;
  dimension: SliceDimension;
  value: string;
  status: string;
  riskDecision: string;
}

const riskDecisions = new Set(['approve', 'review', 'decline']);

/**
 * The risk decision is attached by the risk module when it runs; read it defensively so analytics
 * works with or without it.
 */
function riskDecisionOf(event: PaymentEvent): string {
  const decision = (event as { risk?: { decision?: unknown } | null }).risk?.decision;
  return typeof decision === 'string' && riskDecisions.has(decision) ? decision : '';
}

export function dimensionsOf(event: PaymentEvent): RollupDimensions {
  return {
    provider: event.provider,
    status: event.status,
    failureReason: event.failureReason ?? '',
    declineType: event.declineType ?? '',
    currency: event.currency,
    // Connectors differ in case ('Visa' / 'visa'); one spelling keeps one row.
    cardCountry: event.card?.country?.toUpperCase() ?? '',
    cardBrand: event.card?.brand?.toLowerCase() ?? '',
    riskDecision: riskDecisionOf(event),
  };
}

function compareKeys<T>([a]: [string, T], [b]: [string, T]): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Fixed-width time, placed right after tenant and granularity, so sorting by key orders rows like the primary key. */
function bucketKey(bucket: number): string {
  return String(bucket).padStart(16, '0');
}

export function emptyCounters(): Counters {
  return { count: 0, usdCount: 0, volumeUsdMinor: 0, lag: new Array<number>(LAG_BUCKETS).fill(0) };
}

function add(counters: Counters, event: PaymentEvent, lagIndex: number): void {
  counters.count += 1;
  if (event.amountUsdMinor !== null) {
    counters.usdCount += 1;
    counters.volumeUsdMinor += event.amountUsdMinor;
  }
  counters.lag[lagIndex] = (counters.lag[lagIndex] ?? 0) + 1;
}

function sliceValue(dimension: SliceDimension, d: RollupDimensions): string {
  switch (dimension) {
    case 'all':
      return '';
    case 'provider':
      return d.provider;
    case 'currency':
      return d.currency;
    case 'card_country':
      return d.cardCountry;
    case 'card_brand':
      return d.cardBrand;
    case 'failure_reason':
      return d.failureReason;
    case 'failure_decline':
      return d.failureReason === '' ? '' : `${d.failureReason}/${d.declineType}`;
  }
}

export function addCounters(target: Counters, source: Counters): void {
  target.count += source.count;
  target.usdCount += source.usdCount;
  target.volumeUsdMinor += source.volumeUsdMinor;
  source.lag.forEach((n, i) => (target.lag[i] = (target.lag[i] ?? 0) + n));
}

const sortedValues = <T>(rows: Map<string, T>): T[] => [...rows.entries()].sort(compareKeys).map(([, d]) => d);

/**
 * Folds a batch of events into one delta per row, for the full cube and for the one-dimension
 * slices, at every granularity, each list in a stable order: one upsert per row, and concurrent
 * writers lock rows in the same order, so they cannot deadlock. Slices are summed from the cube
 * deltas (every slice is a cut of the cube), so per-event work is one cube row per granularity.
 */
export function rollupDeltas(events: readonly PaymentEvent[]): { cube: RollupDelta[]; slices: SliceDelta[] } {
  const cube = new Map<string, RollupDelta>();
  for (const event of events) {
    const dimensions = dimensionsOf(event);
    // The same at every granularity: joined once per event rather than once per granularity.
    const dimensionsKey = Object.values(dimensions).join('\u0000');
    const occurredAt = Date.parse(event.occurredAt);
    const lagIndex = lagBucket(Date.parse(event.receivedAt) - occurredAt);
    for (const granularity of granularities) {
      const bucket = floorTo(occurredAt, granularity);
      const cubeKey = [event.tenantId, granularity, bucketKey(bucket), dimensionsKey].join('\u0000');
      let row = cube.get(cubeKey);
      if (!row)
        cube.set(cubeKey, (row = { tenantId: event.tenantId, granularity, bucket, ...dimensions, ...emptyCounters() }));
      add(row, event, lagIndex);
    }
  }
  const slices = new Map<string, SliceDelta>();
  for (const row of cube.values()) {
    for (const dimension of sliceDimensions) {
      const value = sliceValue(dimension, row);
      // Only the summaries (whole tenant, per provider) report the risk mix; the other slices stay 3× smaller without it.
      const riskDecision = dimension === 'all' || dimension === 'provider' ? row.riskDecision : '';
      const sliceKey = [
        row.tenantId,
        row.granularity,
        bucketKey(row.bucket),
        dimension,
        value,
        row.status,
        riskDecision,
      ].join('\u0000');
      let slice = slices.get(sliceKey);
      if (!slice) {
        slice = {
          tenantId: row.tenantId,
          granularity: row.granularity,
          bucket: row.bucket,
          dimension,
          value,
          status: row.status,
          riskDecision,
          ...emptyCounters(),
        };
        slices.set(sliceKey, slice);
      }
      addCounters(slice, row);
    }
  }
  return { cube: sortedValues(cube), slices: sortedValues(slices) };
}
