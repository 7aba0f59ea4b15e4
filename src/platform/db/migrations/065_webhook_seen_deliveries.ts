import { sql, type Kysely } from 'kysely';

/** Seen webhook delivery ids, shared by every instance, so a replayed delivery is processed once. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('webhook_seen_deliveries')
    .addColumn('endpoint_id', 'text', (c) => c.notNull().references('webhook_endpoints.id').onDelete('cascade'))
    .addColumn('delivery_id', 'text', (c) => c.notNull())
    .addColumn('raw_event_id', 'text')
    .addColumn('claimed_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('webhook_seen_deliveries_pkey', ['endpoint_id', 'delivery_id'])
    .execute();
  await sql`CREATE INDEX webhook_seen_deliveries_expires_idx ON webhook_seen_deliveries (expires_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('webhook_seen_deliveries').ifExists().execute();
}
