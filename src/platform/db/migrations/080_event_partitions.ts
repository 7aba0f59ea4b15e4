import { sql, type Kysely } from 'kysely';

/**
 * The three tables that grow with traffic become monthly range partitions of their arrival time
 * (issue #13): a month is dropped whole by the retention job instead of deleted row by row, and
 * scans by time read the months they need. A DEFAULT partition takes any row outside the months
 * created (a test clock, a month not yet created ahead), so no insert is ever refused; the
 * maintenance job (platform/db/partitions.ts) moves such rows into their month later.
 *
 * Kept literal (no import from partitions.ts) so this migration means the same thing forever.
 */
const tables = [
  { table: 'raw_events', key: 'received_at' },
  { table: 'payment_events', key: 'received_at' },
  { table: 'risk_assessments', key: 'scored_at' },
] as const;

/**
 * A unique constraint on a partitioned table must contain the partition key. The raw events'
 * dedupe key moves to raw_event_keys (below), which also answers the dedupe lookups, so its index
 * on raw_events goes; the event's position in its raw event gains the arrival time, which every
 * event of one raw event shares, so it stays unique per raw event.
 */
const uniqueRewrites: Record<string, string | null> = {
  raw_events_pkey: 'ALTER TABLE raw_events ADD PRIMARY KEY (id, received_at)',
  raw_events_dedupe_idx: null,
  payment_events_pkey: 'ALTER TABLE payment_events ADD PRIMARY KEY (id, received_at)',
  payment_events_raw_seq_idx:
    'CREATE UNIQUE INDEX payment_events_raw_seq_idx ON payment_events (raw_event_id, seq, received_at)',
  risk_assessments_pkey: 'ALTER TABLE risk_assessments ADD PRIMARY KEY (id, scored_at)',
};

function monthName(month: string): string {
  return month.replace('-', '_');
}

function nextMonth(month: string): string {
  const [year, m] = month.split('-').map(Number) as [number, number];
  return m === 12 ? `${year + 1}-01` : `${year}-${String(m + 1).padStart(2, '0')}`;
}

async function partition(db: Kysely<unknown>, table: string, key: string): Promise<void> {
  const old = `${table}_unpartitioned`;
  const indexes = await sql<{ indexname: string; indexdef: string; unique: boolean }>`
    SELECT i.indexname, i.indexdef, x.indisunique AS unique
    FROM pg_indexes i JOIN pg_class c ON c.relname = i.indexname JOIN pg_index x ON x.indexrelid = c.oid
    WHERE i.schemaname = current_schema() AND i.tablename = ${table}`.execute(db);
  for (const index of indexes.rows)
    if (index.unique && !(index.indexname in uniqueRewrites))
      throw new Error(`080_event_partitions: unique index ${index.indexname} on ${table} has no partitioned form`);

  await sql`ALTER TABLE ${sql.table(table)} RENAME TO ${sql.table(old)}`.execute(db);
  await sql`CREATE TABLE ${sql.table(table)} (LIKE ${sql.table(old)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)
            PARTITION BY RANGE (${sql.ref(key)})`.execute(db);
  await sql`CREATE TABLE ${sql.table(`${table}_default`)} PARTITION OF ${sql.table(table)} DEFAULT`.execute(db);

  // The months that hold rows, and this month and the next two, all in UTC.
  const months = await sql<{ month: string }>`
    SELECT DISTINCT to_char(${sql.ref(key)} AT TIME ZONE 'UTC', 'YYYY-MM') AS month FROM ${sql.table(old)}
    UNION SELECT to_char((now() AT TIME ZONE 'UTC') + make_interval(months => n), 'YYYY-MM') FROM generate_series(0, 2) AS n`.execute(
    db,
  );
  for (const { month } of months.rows) {
    await sql`CREATE TABLE ${sql.table(`${table}_p${monthName(month)}`)} PARTITION OF ${sql.table(table)}
              FOR VALUES FROM (${sql.lit(`${month}-01 00:00:00+00`)}) TO (${sql.lit(`${nextMonth(month)}-01 00:00:00+00`)})`.execute(
      db,
    );
  }
  await sql`INSERT INTO ${sql.table(table)} SELECT * FROM ${sql.table(old)}`.execute(db);
  // CASCADE drops the foreign keys other tables held on the old table (raw events are kept for
  // their own retention, shorter than the events normalized from them, so nothing references them now).
  await sql`DROP TABLE ${sql.table(old)} CASCADE`.execute(db);

  for (const index of indexes.rows) {
    if (index.unique) {
      const rewrite = uniqueRewrites[index.indexname];
      if (rewrite) await sql.raw(rewrite).execute(db);
    } else {
      // The definition names the old table (renamed above): point it at the partitioned one.
      await sql.raw(index.indexdef.replace(/ ON (\S+\.)?\S+ USING /, ` ON ${table} USING `)).execute(db);
    }
  }
  await sql`ALTER TABLE ${sql.table(table)} ADD FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE`.execute(
    db,
  );
}

export async function up(db: Kysely<unknown>): Promise<void> {
  // One row per dedupe key, unpartitioned so the key stays unique across months; ingest claims
  // the key and stores the raw event in one statement.
  await sql`CREATE TABLE raw_event_keys (
              tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
              provider text NOT NULL,
              provider_event_id text NOT NULL,
              raw_event_id text NOT NULL,
              received_at timestamptz NOT NULL,
              PRIMARY KEY (tenant_id, provider, provider_event_id))`.execute(db);
  await sql`CREATE INDEX raw_event_keys_received_idx ON raw_event_keys (received_at)`.execute(db);
  await sql`INSERT INTO raw_event_keys (tenant_id, provider, provider_event_id, raw_event_id, received_at)
            SELECT tenant_id, provider, provider_event_id, id, received_at FROM raw_events
            WHERE provider IS NOT NULL AND provider_event_id IS NOT NULL`.execute(db);

  for (const { table, key } of tables) await partition(db, table, key);

  // The erasure of one customer (paylens erase) finds their events without scanning the tenant's.
  await sql`CREATE INDEX payment_events_customer_idx ON payment_events (tenant_id, customer_key) WHERE customer_key IS NOT NULL`.execute(
    db,
  );
  await sql`CREATE INDEX raw_event_actions_at_idx ON raw_event_actions (at)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('080_event_partitions cannot be undone: restore from a backup taken before it');
}
