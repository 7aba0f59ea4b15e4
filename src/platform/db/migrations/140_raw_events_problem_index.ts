import { sql, type Kysely } from 'kysely';

/**
 * The tenant/status index of raw events serves the unprocessed and dead-letter lists and the
 * unprocessed count, nothing else; it now holds only those rows. Every accepted event was an entry
 * in it (and a second one when settled), at intake rates, for rows no query looks up by status.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX raw_events_tenant_status_idx`.execute(db);
  await sql`CREATE INDEX raw_events_tenant_status_idx ON raw_events (tenant_id, status, received_at DESC)
            WHERE status IN ('unprocessed', 'dead')`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX raw_events_tenant_status_idx`.execute(db);
  await sql`CREATE INDEX raw_events_tenant_status_idx ON raw_events (tenant_id, status, received_at DESC)`.execute(db);
}
