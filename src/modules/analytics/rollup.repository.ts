import { randomInt } from 'node:crypto';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../../database.js';
import { combinedWrite, type CombinedWrite, type WriteRows } from '../../platform/db/combined-writes.js';
import type { ColumnSpec } from '../../platform/db/json-rows.js';
import { LAG_BOUNDS_MS, lagColumns } from './lag-histogram.js';
import { sliceDimensions, type Counters, type RollupDelta, type SliceDelta, type SliceDimension } from './rollup.js';
import { planRanges, type BucketRange, type Granularity } from './time-ranges.js';
import { toDate } from '../../platform/db/timestamps.js';

/** Rollup columns a query may group by; the API's names map onto these and nothing else reaches SQL. */
const dimensionColumns = [
  'provider',
  'status',
  'failure_reason',
  'decline_type',
  'currency',
  'card_country',
  'card_brand',
  'risk_decision',
] as const;
export type DimensionColumn = (typeof dimensionColumns)[number];

const keyColumns = ['tenant_id', 'granularity', 'bucket', ...dimensionColumns] as const;
const sliceKeyColumns = [
  'tenant_id',
  'dimension',
  'granularity',
  'bucket',
  'value',
  'status',
  'risk_decision',
] as const;
const counterColumns = ['count', 'usd_count', 'volume_usd_minor', ...lagColumns] as const;

/**
 * Each write adds to one of this many rows per key, in turn: a group commit adds to its tenant's rows
 * of the current minute, hour and day, and with one row per key the next commit (on this node or
 * another) waited on its row locks until it committed. More shards than commits in flight keeps
 * them apart; readers sum over shards, so a key has at most this many rows.
 */
const ROLLUP_SHARDS = 8;

/** Slice columns a slice query may group by. */
export type SliceColumn = 'value' | 'status' | 'risk_decision';

export interface RollupFilter {
  providers?: readonly string[] | undefined;
}

/** Summed counters of a group of rollup rows. */
export type Totals = Counters;

export type BreakdownRow<D extends DimensionColumn> = Record<D, string> & Totals;

export interface SeriesRow {
  bucket: number;
  key: string;
  count: number;
  volumeUsdMinor: number;
  approved: number;
  attempted: number;
}

function rangeCondition(ranges: readonly BucketRange[]): RawBuilder<unknown> {
  if (ranges.length === 0) return sql`false`;
  return sql`(${sql.join(
    ranges.map(
      (r) => sql`(granularity = ${r.granularity} and bucket >= ${new Date(r.start)} and bucket < ${new Date(r.end)})`,
    ),
    sql` or `,
  )})`;
}

/** `column in (values)`, or no condition when there are no values. */
function inCondition(column: string, values: readonly string[] | undefined): RawBuilder<unknown> {
  return values && values.length > 0 ? sql`${sql.ref(column)} in (${sql.join([...values])})` : sql`true`;
}

/**
 * The SQL that folds stored events into rollup rows (the same arithmetic as rollupDeltas): used to
 * load rollups after a bulk import and to check the incremental rollups against the events.
 */
export function rollupSelectFromEvents(where: RawBuilder<unknown> = sql`true`): RawBuilder<unknown> {
  const lagMs = sql`(extract(epoch from (received_at - occurred_at)) * 1000)::float8`;
  const bounds = sql.raw(`array[${LAG_BOUNDS_MS.join(',')}]::float8[]`);
  const lagCounts = lagColumns.map(
    (column, i) => sql`count(*) filter (where width_bucket(${lagMs}, ${bounds}) = ${sql.lit(i)}) as ${sql.ref(column)}`,
  );
  return sql`
    select tenant_id, g.granularity, date_trunc(g.granularity, occurred_at, 'UTC') as bucket, provider, status,
           coalesce(failure_reason, '') as failure_reason, coalesce(decline_type, '') as decline_type, currency,
           coalesce(upper(card->>'country'), '') as card_country, coalesce(lower(card->>'brand'), '') as card_brand,
           case when risk->>'decision' in ('approve', 'review', 'decline') then risk->>'decision' else '' end as risk_decision,
           count(*) as count, count(amount_usd_minor) as usd_count,
           coalesce(sum(amount_usd_minor), 0) as volume_usd_minor, ${sql.join(lagCounts)}
    from payment_events cross join (values ('minute'), ('hour'), ('day')) as g(granularity)
    where ${where}
    group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11`;
}

/** The slices a set of cube rows implies (the same cut as rollupDeltas makes incrementally). */
export function slicesSelectFromCube(where: RawBuilder<unknown> = sql`true`): RawBuilder<unknown> {
  return sql`
    select tenant_id, d.dimension, granularity, bucket,
           case d.dimension when 'all' then '' when 'provider' then provider when 'currency' then currency
                when 'card_country' then card_country when 'card_brand' then card_brand when 'failure_reason' then failure_reason
                else case when failure_reason = '' then '' else failure_reason || '/' || decline_type end end as value,
           status, case when d.dimension in ('all', 'provider') then risk_decision else '' end as risk_decision, sum(count) as count, sum(usd_count) as usd_count, sum(volume_usd_minor) as volume_usd_minor,
           ${sql.join(lagColumns.map((c) => sql`sum(${sql.ref(c)}) as ${sql.ref(c)}`))}
    from analytics_rollups cross join (values ${sql.join(sliceDimensions.map((d) => sql`(${d})`))}) as d(dimension)
    where ${where}
    group by 1, 2, 3, 4, 5, 6, 7`;
}

function counters(row: Record<string, unknown>): Totals {
  return {
    count: Number(row.count),
    usdCount: Number(row.usd_count),
    volumeUsdMinor: Number(row.volume_usd_minor),
    lag: lagColumns.map((c) => Number(row[c])),
  };
}

/** Rows of a grouped totals query: the group columns as strings, then the counters (an empty ungrouped sum is no row). */
function groupedTotals<K extends string>(
  rows: readonly Record<string, unknown>[],
  groups: readonly K[],
): (Record<K, string> & Totals)[] {
  return rows
    .filter((row) => row.count !== null)
    .map((row) => ({
      ...(Object.fromEntries(groups.map((c) => [c, String(row[c])])) as Record<K, string>),
      ...counters(row),
    }));
}

const totalsSelect = () => [
  sql`sum(count) as count`,
  sql`sum(usd_count) as usd_count`,
  sql`sum(volume_usd_minor) as volume_usd_minor`,
  ...lagColumns.map((c) => sql`sum(${sql.ref(c)}) as ${sql.ref(c)}`),
];

const seriesSelect = () => sql`sum(count) as count, sum(volume_usd_minor) as volume_usd_minor,
  coalesce(sum(count) filter (where status = 'approved'), 0) as approved,
  coalesce(sum(count) filter (where status in ('approved', 'declined', 'failed')), 0) as attempted`;

function toSeriesRow(row: Record<string, unknown>): SeriesRow {
  return {
    bucket: toDate(row.bucket as Date | string).getTime(),
    key: String(row.key),
    count: Number(row.count),
    volumeUsdMinor: Number(row.volume_usd_minor),
    approved: Number(row.approved),
    attempted: Number(row.attempted),
  };
}

const counterTypes = Object.fromEntries(counterColumns.map((c) => [c, 'bigint'])) as ColumnSpec;
const rollupColumns: ColumnSpec = {
  ...Object.fromEntries(keyColumns.map((c) => [c, c === 'bucket' ? 'timestamptz' : 'text'])),
  shard: 'integer',
  ...counterTypes,
};
const sliceColumns: ColumnSpec = {
  ...Object.fromEntries(sliceKeyColumns.map((c) => [c, c === 'bucket' ? 'timestamptz' : 'text'])),
  shard: 'integer',
  ...counterTypes,
};

/** Inserts rows under their key, adding their counters to any row already under the same key. */
function upsertWrite(
  table: 'analytics_rollups' | 'analytics_slices',
  columns: ColumnSpec,
  conflictColumns: readonly string[],
): CombinedWrite {
  const increments = counterColumns.map((c) => `"${c}" = ${table}."${c}" + excluded."${c}"`).join(', ');
  return combinedWrite(
    table,
    table,
    columns,
    `ON CONFLICT (${conflictColumns.map((c) => `"${c}"`).join(', ')}) DO UPDATE SET ${increments}`,
  );
}

const cubeWrite = upsertWrite('analytics_rollups', rollupColumns, [...keyColumns, 'shard']);
const slicesWrite = upsertWrite('analytics_slices', sliceColumns, [...sliceKeyColumns, 'shard']);

/**
 * Counter rows in their key's order: two groups that add to the same rows (one tenant, one minute)
 * then lock them in the same order and wait for each other instead of deadlocking.
 */
function counterRows<D extends Totals>(
  deltas: readonly D[],
  keyColumnsOf: readonly string[],
  keyOf: (d: D) => Record<string, unknown>,
): Record<string, unknown>[] {
  const keyed = deltas.map((d) => {
    const row: Record<string, unknown> = keyOf(d);
    row.count = d.count;
    row.usd_count = d.usdCount;
    row.volume_usd_minor = d.volumeUsdMinor;
    lagColumns.forEach((column, index) => (row[column] = d.lag[index] ?? 0));
    return { sortKey: keyColumnsOf.map((c) => String(row[c])).join('\u0000'), row };
  });
  keyed.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
  return keyed.map((k) => k.row);
}

export class RollupRepository {
  /** Started at random so that nodes started together do not take the same shards in step. */
  private nextShard = randomInt(ROLLUP_SHARDS);

  /** `replica` (DATABASE_READ_URL) answers the analytics queries: they may lag the writes by the replication delay. */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly replica: Kysely<Database> = db,
  ) {}

  /**
   * Adds deltas to their rows (`count = count + excluded.count` keeps concurrent writers exact), as
   * two parts of the statement that stores the events they count.
   */
  writes(deltas: { cube: readonly RollupDelta[]; slices: readonly SliceDelta[] }): WriteRows[] {
    const shard = this.nextShard;
    this.nextShard = (shard + 1) % ROLLUP_SHARDS;
    return [
      {
        write: cubeWrite,
        rows: counterRows(deltas.cube, keyColumns, (d) => ({
          tenant_id: d.tenantId,
          granularity: d.granularity,
          bucket: new Date(d.bucket),
          provider: d.provider,
          status: d.status,
          failure_reason: d.failureReason,
          decline_type: d.declineType,
          currency: d.currency,
          card_country: d.cardCountry,
          card_brand: d.cardBrand,
          risk_decision: d.riskDecision,
          shard,
        })),
      },
      {
        write: slicesWrite,
        rows: counterRows(deltas.slices, sliceKeyColumns, (d) => ({
          tenant_id: d.tenantId,
          dimension: d.dimension,
          granularity: d.granularity,
          bucket: new Date(d.bucket),
          value: d.value,
          status: d.status,
          risk_decision: d.riskDecision,
          shard,
        })),
      },
    ];
  }

  /** Deletes a tenant's minute rollups (cube and slices) before `before`; returns how many rows went. */
  async pruneMinutes(tenantId: string, before: Date): Promise<number> {
    let deleted = 0;
    for (const table of ['analytics_rollups', 'analytics_slices'] as const) {
      const result = await this.db
        .deleteFrom(table)
        .where('tenant_id', '=', tenantId)
        .where('granularity', '=', 'minute')
        .where('bucket', '<', before)
        .executeTakeFirst();
      deleted += Number(result.numDeletedRows);
    }
    return deleted;
  }

  /** Adds the rollups of a tenant's events in one pass (a bulk load: those events must not be counted yet). */
  async loadFromEvents(tenantId: string): Promise<void> {
    await sql`insert into analytics_rollups (${sql.raw([...keyColumns, ...counterColumns].join(', '))}) ${rollupSelectFromEvents(sql`tenant_id = ${tenantId}`)}`.execute(
      this.db,
    );
    await sql`insert into analytics_slices (${sql.raw([...sliceKeyColumns, ...counterColumns].join(', '))}) ${slicesSelectFromCube(sql`tenant_id = ${tenantId}`)}`.execute(
      this.db,
    );
  }

  /** Totals of one slice dimension over the window [from, to), optionally for some of its values only. */
  async sliceBreakdown<C extends SliceColumn>(
    tenantId: string,
    from: number,
    to: number,
    dimension: SliceDimension,
    values: readonly string[] | undefined,
    groupBy: readonly C[],
  ): Promise<(Record<C, string> & Totals)[]> {
    const groups = groupBy.map((c) => sql.ref(c));
    const result = await sql<Record<string, unknown>>`
      select ${sql.join([...groups, ...totalsSelect()])}
      from analytics_slices
      where tenant_id = ${tenantId} and dimension = ${dimension} and ${rangeCondition(planRanges(from, to))}
        and ${inCondition('value', values)}
      ${groups.length > 0 ? sql`group by ${sql.join(groups)}` : sql``}`.execute(this.replica);
    return groupedTotals(result.rows, groupBy);
  }

  /** Per-bucket counts of one slice dimension at one granularity, keyed by value (or summed over values). */
  async sliceSeries(
    tenantId: string,
    granularity: Granularity,
    from: number,
    to: number,
    dimension: SliceDimension,
    values: readonly string[] | undefined,
    byValue: boolean,
  ): Promise<SeriesRow[]> {
    const result = await sql<Record<string, unknown>>`
      select bucket, ${byValue ? sql`value` : sql`''`} as key, ${seriesSelect()}
      from analytics_slices
      where tenant_id = ${tenantId} and dimension = ${dimension} and granularity = ${granularity}
        and bucket >= ${new Date(from)} and bucket < ${new Date(to)}
        and ${inCondition('value', values)}
      group by 1, 2`.execute(this.replica);
    return result.rows.map(toSeriesRow);
  }

  /** Totals over the minute-aligned window [from, to), grouped by the given dimensions. */
  async breakdown<D extends DimensionColumn>(
    tenantId: string,
    from: number,
    to: number,
    filter: RollupFilter,
    dimensions: readonly D[],
  ): Promise<BreakdownRow<D>[]> {
    const groups = dimensions.map((d) => sql.ref(d));
    const result = await sql<Record<string, unknown>>`
      select ${sql.join([...groups, ...totalsSelect()])}
      from analytics_rollups
      where tenant_id = ${tenantId} and ${rangeCondition(planRanges(from, to))} and ${inCondition('provider', filter.providers)}
      ${groups.length > 0 ? sql`group by ${sql.join(groups)}` : sql``}`.execute(this.replica);
    return groupedTotals(result.rows, dimensions);
  }

  /** Per-bucket counts at one granularity from the cube, optionally split by one dimension. */
  async series(
    tenantId: string,
    granularity: Granularity,
    from: number,
    to: number,
    filter: RollupFilter,
    groupBy: DimensionColumn | null,
  ): Promise<SeriesRow[]> {
    const result = await sql<Record<string, unknown>>`
      select bucket, ${groupBy ? sql.ref(groupBy) : sql`''`} as key, ${seriesSelect()}
      from analytics_rollups
      where tenant_id = ${tenantId} and granularity = ${granularity} and bucket >= ${new Date(from)} and bucket < ${new Date(to)}
        and ${inCondition('provider', filter.providers)}
      group by 1, 2`.execute(this.replica);
    return result.rows.map(toSeriesRow);
  }
}
