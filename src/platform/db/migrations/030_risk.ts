import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // The assessment travels with the event it was made for, so GET /v1/events/:id shows it.
  await db.schema.alterTable('payment_events').addColumn('risk', 'jsonb').execute();

  await db.schema
    .createTable('risk_assessments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('transaction_id', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('scored_at', 'timestamptz', (c) => c.notNull())
    .addColumn('score', 'double precision', (c) => c.notNull())
    .addColumn('rules_score', 'double precision', (c) => c.notNull())
    .addColumn('model_score', 'double precision')
    .addColumn('risk_level', 'text', (c) => c.notNull())
    .addColumn('decision', 'text', (c) => c.notNull())
    .addColumn('reasons', 'jsonb', (c) => c.notNull())
    .addColumn('features', 'jsonb', (c) => c.notNull())
    .addColumn('rules_version', 'integer', (c) => c.notNull())
    .addColumn('model_version', 'integer')
    .addColumn('amount_usd_minor', 'bigint', (c) => c.notNull())
    .addColumn('latency_ms', 'double precision', (c) => c.notNull())
    .execute();
  await sql`CREATE INDEX risk_assessments_tenant_time_idx ON risk_assessments (tenant_id, occurred_at)`.execute(db);
  await sql`CREATE INDEX risk_assessments_tenant_tx_idx ON risk_assessments (tenant_id, transaction_id)`.execute(db);

  await db.schema
    .createTable('risk_labels')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('transaction_id', 'text', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('risk_labels_pk', ['tenant_id', 'transaction_id'])
    .execute();

  await db.schema
    .createTable('risk_rule_sets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('definition', 'jsonb', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('risk_rule_sets_version_uq', ['tenant_id', 'version'])
    .execute();

  await db.schema
    .createTable('risk_lists')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('match_key', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('risk_lists_entry_uq', ['tenant_id', 'type', 'match_key', 'action'])
    .execute();

  await db.schema
    .createTable('risk_list_audit')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('seq', 'serial')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('entry_id', 'text', (c) => c.notNull())
    .addColumn('operation', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`CREATE INDEX risk_list_audit_tenant_idx ON risk_list_audit (tenant_id, seq)`.execute(db);

  await db.schema
    .createTable('risk_models')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('model', 'jsonb', (c) => c.notNull())
    .addColumn('metrics', 'jsonb', (c) => c.notNull())
    .addColumn('training_size', 'integer', (c) => c.notNull())
    .addColumn('active', 'boolean', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('risk_models_version_uq', ['tenant_id', 'version'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'risk_models',
    'risk_list_audit',
    'risk_lists',
    'risk_rule_sets',
    'risk_labels',
    'risk_assessments',
  ]) {
    await db.schema.dropTable(table).execute();
  }
  await db.schema.alterTable('payment_events').dropColumn('risk').execute();
}
