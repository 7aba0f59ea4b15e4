import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('tenants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('last_used_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('api_keys_tenant_idx').on('api_keys').column('tenant_id').execute();

  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('raw_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('provider', 'text')
    .addColumn('provider_event_id', 'text')
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('payload_sha256', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz')
    .addColumn('endpoint_id', 'text')
    .addColumn('received_at', 'timestamptz', (c) => c.notNull())
    .addColumn('processed_at', 'timestamptz')
    .execute();
  // The dedupe key: one stored copy per (tenant, provider, provider event id).
  await sql`CREATE UNIQUE INDEX raw_events_dedupe_idx ON raw_events (tenant_id, provider, provider_event_id)
            WHERE provider IS NOT NULL AND provider_event_id IS NOT NULL`.execute(db);
  await sql`CREATE INDEX raw_events_retry_idx ON raw_events (next_attempt_at) WHERE status = 'unprocessed'`.execute(db);
  await sql`CREATE INDEX raw_events_tenant_status_idx ON raw_events (tenant_id, status, received_at DESC)`.execute(db);

  await db.schema
    .createTable('payment_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('raw_event_id', 'text', (c) => c.notNull().references('raw_events.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('provider_event_id', 'text')
    .addColumn('provider_payment_id', 'text')
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('failure_reason', 'text')
    .addColumn('decline_type', 'text')
    .addColumn('recommended_action', 'text')
    .addColumn('provider_code', 'text')
    .addColumn('provider_message', 'text')
    .addColumn('amount_minor', 'bigint', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('amount_usd_minor', 'bigint')
    .addColumn('merchant', 'jsonb')
    .addColumn('customer_key', 'text')
    .addColumn('email_domain', 'text')
    .addColumn('ip', 'text')
    .addColumn('ip_country', 'text')
    .addColumn('device_id', 'text')
    .addColumn('card', 'jsonb')
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull())
    .addColumn('normalized_at', 'timestamptz', (c) => c.notNull())
    .addColumn('normalization_method', 'text', (c) => c.notNull())
    .addColumn('confidence', 'real', (c) => c.notNull())
    .addColumn('metadata', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  await sql`CREATE UNIQUE INDEX payment_events_raw_seq_idx ON payment_events (raw_event_id, seq)`.execute(db);
  await sql`CREATE INDEX payment_events_list_idx ON payment_events (tenant_id, occurred_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX payment_events_payment_idx ON payment_events (tenant_id, provider, provider_payment_id, occurred_at)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['payment_events', 'raw_events', 'settings', 'api_keys', 'tenants']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
