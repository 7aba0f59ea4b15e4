import { sql, type Kysely } from 'kysely';

/**
 * A rollup row per shard: every group commit adds to its tenant's rows of the current minute, hour and
 * day, so two commits in flight at once (a second transaction on one node, or another node) waited on
 * each other's row locks until the first committed; with each commit writing its own shard they no
 * longer meet. Readers already sum over rows. Existing rows become shard 0.
 *
 * The key and counter columns are written out here rather than imported from 040 or the analytics
 * module (as 040 keeps its own): a migration must mean the same thing after the code moves on.
 */
const tables = [
  {
    table: 'analytics_rollups',
    constraint: 'analytics_rollups_pk',
    keys: [
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
    ],
  },
  {
    table: 'analytics_slices',
    constraint: 'analytics_slices_pk',
    keys: ['tenant_id', 'dimension', 'granularity', 'bucket', 'value', 'status', 'risk_decision'],
  },
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const { table, constraint, keys } of tables) {
    await sql`ALTER TABLE ${sql.table(table)} ADD COLUMN shard smallint NOT NULL DEFAULT 0`.execute(db);
    await sql`ALTER TABLE ${sql.table(table)} DROP CONSTRAINT ${sql.ref(constraint)}`.execute(db);
    await sql`ALTER TABLE ${sql.table(table)} ADD CONSTRAINT ${sql.ref(constraint)} PRIMARY KEY (${sql.raw(
      [...keys, 'shard'].join(', '),
    )})`.execute(db);
  }
}

const counters = ['count', 'usd_count', 'volume_usd_minor', ...Array.from({ length: 15 }, (_, i) => `lag_${i}`)];

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const { table, constraint, keys } of tables) {
    // Every other shard added into shard 0 (created where a key had none), before the key loses its shard.
    await sql`INSERT INTO ${sql.table(table)} (${sql.raw([...keys, 'shard', ...counters].join(', '))})
      SELECT ${sql.raw(keys.join(', '))}, 0, ${sql.raw(counters.map((c) => `sum(${c})`).join(', '))}
      FROM ${sql.table(table)} WHERE shard <> 0 GROUP BY ${sql.raw(keys.join(', '))}
      ON CONFLICT (${sql.raw([...keys, 'shard'].join(', '))}) DO UPDATE SET ${sql.raw(
        counters.map((c) => `${c} = ${table}.${c} + excluded.${c}`).join(', '),
      )}`.execute(db);
    await sql`DELETE FROM ${sql.table(table)} WHERE shard <> 0`.execute(db);
    await sql`ALTER TABLE ${sql.table(table)} DROP CONSTRAINT ${sql.ref(constraint)}`.execute(db);
    await sql`ALTER TABLE ${sql.table(table)} DROP COLUMN shard`.execute(db);
    await sql`ALTER TABLE ${sql.table(table)} ADD CONSTRAINT ${sql.ref(constraint)} PRIMARY KEY (${sql.raw(keys.join(', '))})`.execute(
      db,
    );
  }
}
