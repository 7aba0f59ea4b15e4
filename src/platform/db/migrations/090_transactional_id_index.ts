import { sql, type Kysely } from 'kysely';

/**
 * `GET /v1/events?transactionalId=…` finds the events of one data-lake transaction: without an index
 * that is a scan of the tenant's events. Partial, as most events come from elsewhere and carry none;
 * created on the partitioned table, so every month (and the default partition) gets its own.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX payment_events_transactional_id_idx ON payment_events (tenant_id, (metadata->>'transactionalId'))
            WHERE metadata ? 'transactionalId'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX payment_events_transactional_id_idx`.execute(db);
}
