import { Migrator, sql, type Kysely } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/platform/db/client.js';
import { migrationProvider } from '../../src/platform/db/migrations/index.js';
import { createPostgresDatabase, storeKinds } from '../harness/stores.js';

const SHARDS = '100_rollup_shards';

async function sliceRows(db: Kysely<unknown>) {
  const { rows } = await sql<{ count: string; lag_2: string }>`
    SELECT count::text, lag_2::text FROM analytics_slices ORDER BY bucket`.execute(db);
  return rows;
}

const insertSlice = (db: Kysely<unknown>, bucket: string, count: number, shard: number | null) =>
  sql`INSERT INTO analytics_slices (tenant_id, granularity, bucket, dimension, value, status, risk_decision, count, usd_count, volume_usd_minor, lag_2${sql.raw(shard === null ? '' : ', shard')})
      VALUES ('ten_1', 'day', ${bucket}, 'all', '', 'approved', '', ${count}, ${count}, ${count * 100}, ${count}${shard === null ? sql`` : sql`, ${shard}`})`.execute(
    db,
  );

describe.each(storeKinds())('migration 100, rollup shards (%s)', (store) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  it('keeps existing rollup rows as shard 0, and folds the shards back into one row per key going down', async () => {
    const handle = await openDatabase<unknown>({
      databaseUrl: store === 'postgres' ? await createPostgresDatabase() : undefined,
      dataDir: 'memory://',
      poolSize: 2,
    });
    cleanups.push(() => handle.close());
    const { db } = handle;
    const migrator = new Migrator({ db, provider: migrationProvider });
    const names = Object.keys(await migrationProvider.getMigrations()).sort();
    const before = names[names.indexOf(SHARDS) - 1]!;
    expect((await migrator.migrateTo(before)).error).toBeUndefined();
    await sql`INSERT INTO tenants (id, name) VALUES ('ten_1', 'acme')`.execute(db);
    await insertSlice(db, '2026-12-05', 2, null);

    expect((await migrator.migrateTo(SHARDS)).error).toBeUndefined();
    const { rows } = await sql<{ shard: number }>`SELECT shard FROM analytics_slices`.execute(db);
    expect(rows).toEqual([{ shard: 0 }]);
    // A second row under the same key in another shard; a key's shard 0 is taken once only.
    await insertSlice(db, '2026-12-05', 3, 5);
    await insertSlice(db, '2026-12-06', 4, 7);
    await expect(insertSlice(db, '2026-12-05', 1, 0)).rejects.toThrow();

    expect((await migrator.migrateTo(before)).error).toBeUndefined();
    // Every shard of a key summed into one row; a key with no shard 0 row is summed into one too.
    expect(await sliceRows(db)).toEqual([
      { count: '5', lag_2: '5' },
      { count: '4', lag_2: '4' },
    ]);
  });
});
