import { sql, type Kysely } from 'kysely';

/**
 * Learning on the running server (issue #11): labels remember where they came from (an analyst
 * through the API, or a provider's dispute / fraud warning with its reason code), assessments
 * remember the merchant and the payment's outcome (merchant attack alerts; null on older rows), and model training
 * runs as a job whose state every instance can read.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('risk_labels')
    .addColumn('source', 'text', (c) => c.notNull().defaultTo('api'))
    .addColumn('provider', 'text')
    .addColumn('reason_code', 'text')
    .addColumn('event_id', 'text')
    .execute();

  await db.schema
    .alterTable('risk_assessments')
    .addColumn('merchant_id', 'text')
    .addColumn('declined', 'boolean')
    .execute();

  // A PayPal dispute names the capture; the payment it belongs to is found through the capture's event.
  await sql`CREATE INDEX payment_events_capture_idx ON payment_events (tenant_id, provider, (metadata->>'captureId')) WHERE metadata ? 'captureId'`.execute(
    db,
  );

  await db.schema
    .createTable('risk_training_jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('range_from', 'timestamptz')
    .addColumn('range_to', 'timestamptz')
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .addColumn('heartbeat_at', 'timestamptz')
    .addColumn('result', 'jsonb')
    .addColumn('error', 'text')
    .execute();
  await sql`CREATE INDEX risk_training_jobs_tenant_idx ON risk_training_jobs (tenant_id, created_at DESC)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('risk_training_jobs').execute();
  await sql`DROP INDEX payment_events_capture_idx`.execute(db);
  await db.schema.alterTable('risk_assessments').dropColumn('merchant_id').dropColumn('declined').execute();
  await db.schema
    .alterTable('risk_labels')
    .dropColumn('source')
    .dropColumn('provider')
    .dropColumn('reason_code')
    .dropColumn('event_id')
    .execute();
}
