import { sql, type Kysely } from 'kysely';

/**
 * Raw events accepted with `Prefer: respond-async` wait as `queued` until the queue worker claims them,
 * oldest due first (`next_attempt_at`: when they arrived, or when a dead worker's claim runs out).
 * Partial, so the index holds only the backlog and costs nothing once it drains; created on the
 * partitioned table, so every month gets its own.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX raw_events_queued_idx ON raw_events (next_attempt_at) WHERE status = 'queued'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX raw_events_queued_idx`.execute(db);
}
