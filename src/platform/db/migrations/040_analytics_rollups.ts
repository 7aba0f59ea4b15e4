import { sql, type Kysely } from 'kysely';

/**
 * Kept literal here (not imported from the analytics module) so this migration means the same thing
 * forever; the module's lag-histogram.ts holds the same bounds.
 */
const LAG_BOUNDS_MS = [
  100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 900000, 3600000, 21600000, 86400000,
];
const lagColumns = Array.from({ length: LAG_BOUNDS_MS.length + 1 }, (_, i) => `lag_${i}`);
const keyColumns = [
  'tenant_id',
  'granularity',
  'bucket',
  'provider',
  'status',
  'failure_reason',
  'decline_type',
  'currency',
  'card_country',
  'card_brand',
  'risk_decision',
];

export async function up(db: Kysely<unknown>): Promise<void> {
  let table = db.schema
    .createTable('analytics_rollups')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('granularity', 'text', (c) => c.notNull().check(sql`granularity in ('minute', 'hour', 'day')`))
    .addColumn('bucket', 'timestamptz', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('failure_reason', 'text', (c) => c.notNull())
    .addColumn('decline_type', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('card_country', 'text', (c) => c.notNull())
    .addColumn('card_brand', 'text', (c) => c.notNull())
    .addColumn('risk_decision', 'text', (c) => c.notNull())
    .addColumn('count', 'bigint', (c) => c.notNull())
    .addColumn('usd_count', 'bigint', (c) => c.notNull())
    .addColumn('volume_usd_minor', 'bigint', (c) => c.notNull());
  for (const column of lagColumns) table = table.addColumn(column, 'bigint', (c) => c.notNull().defaultTo(0));
  await table.addPrimaryKeyConstraint('analytics_rollups_pk', keyColumns as never).execute();

  // Events stored before this migration: fold them in once, so the rollups start complete.
  const lagMs = sql`extract(epoch from (received_at - occurred_at)) * 1000`;
  const bounds = sql.raw(`array[${LAG_BOUNDS_MS.join(',')}]::float8[]`);
  const lagCounts = lagColumns.map(
    (_, i) => sql`count(*) filter (where width_bucket((${lagMs})::float8, ${bounds}) = ${sql.lit(i)})`,
  );
  await sql`
    insert into analytics_rollups (${sql.raw([...keyColumns, 'count', 'usd_count', 'volume_usd_minor', ...lagColumns].join(', '))})
    select tenant_id, g.granularity, date_trunc(g.granularity, occurred_at, 'UTC'), provider, status,
           coalesce(failure_reason, ''), coalesce(decline_type, ''), currency,
           coalesce(upper(card->>'country'), ''), coalesce(lower(card->>'brand'), ''),
           case when risk->>'decision' in ('approve', 'review', 'decline') then risk->>'decision' else '' end,
           count(*), count(amount_usd_minor), coalesce(sum(amount_usd_minor), 0), ${sql.join(lagCounts)}
    from payment_events cross join (values ('minute'), ('hour'), ('day')) as g(granularity)
    group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11`.execute(db);

  // One dimension at a time (and the whole tenant): what summaries and time series read, far fewer rows than the cube.
  let slices = db.schema
    .createTable('analytics_slices')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('granularity', 'text', (c) => c.notNull().check(sql`granularity in ('minute', 'hour', 'day')`))
    .addColumn('bucket', 'timestamptz', (c) => c.notNull())
    .addColumn('dimension', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('risk_decision', 'text', (c) => c.notNull())
    .addColumn('count', 'bigint', (c) => c.notNull())
    .addColumn('usd_count', 'bigint', (c) => c.notNull())
    .addColumn('volume_usd_minor', 'bigint', (c) => c.notNull());
  for (const column of lagColumns) slices = slices.addColumn(column, 'bigint', (c) => c.notNull().defaultTo(0));
  await slices
    .addPrimaryKeyConstraint('analytics_slices_pk', [
      'tenant_id',
      'dimension',
      'granularity',
      'bucket',
      'value',
      'status',
      'risk_decision',
    ] as never)
    .execute();
  await sql`
    insert into analytics_slices (tenant_id, granularity, bucket, dimension, value, status, risk_decision, count, usd_count, volume_usd_minor, ${sql.raw(lagColumns.join(', '))})
    select tenant_id, granularity, bucket, d.dimension,
           case d.dimension when 'all' then '' when 'provider' then provider when 'currency' then currency
                when 'card_country' then card_country when 'card_brand' then card_brand when 'failure_reason' then failure_reason
                else case when failure_reason = '' then '' else failure_reason || '/' || decline_type end end,
           status, case when d.dimension in ('all', 'provider') then risk_decision else '' end, sum(count), sum(usd_count), sum(volume_usd_minor), ${sql.raw(lagColumns.map((c) => `sum(${c})`).join(', '))}
    from analytics_rollups
    cross join (values ('all'), ('provider'), ('currency'), ('card_country'), ('card_brand'), ('failure_reason'), ('failure_decline')) as d(dimension)
    group by 1, 2, 3, 4, 5, 6, 7`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('analytics_slices').ifExists().execute();
  await db.schema.dropTable('analytics_rollups').ifExists().execute();
}
