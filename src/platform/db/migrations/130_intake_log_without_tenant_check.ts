import { sql, type Kysely } from 'kysely';

/**
 * The intake log (raw_events, raw_event_keys) stops checking tenant_id against tenants per row.
 * Every row comes from an authenticated request or a tenant's own endpoint, so the check never
 * refused one; but as a trigger it ran a locking look-up of the tenant row for every event, a
 * quarter of PostgreSQL's time on a batch of queued events (perf, issue #13). No tenant is deleted by
 * Paylens; a tenant removed by hand leaves its raw events to the retention job, like any month.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE raw_events DROP CONSTRAINT IF EXISTS raw_events_tenant_id_fkey`.execute(db);
  await sql`ALTER TABLE raw_event_keys DROP CONSTRAINT IF EXISTS raw_event_keys_tenant_id_fkey`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE raw_events ADD FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE`.execute(db);
  await sql`ALTER TABLE raw_event_keys ADD FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE`.execute(
    db,
  );
}
