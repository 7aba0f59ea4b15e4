import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // Operator actions on raw events (discard, replay): recorded, never erased.
  await db.schema
    .createTable('raw_event_actions')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('raw_event_id', 'text', (c) => c.notNull().references('raw_events.id').onDelete('cascade'))
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text')
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .execute();
  await sql`CREATE INDEX raw_event_actions_raw_idx ON raw_event_actions (raw_event_id, at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('raw_event_actions').ifExists().execute();
}
