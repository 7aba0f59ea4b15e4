import { sql, type Kysely } from 'kysely';

/**
 * A webhook endpoint may acknowledge deliveries once they are stored, before they are normalized
 * (the queue worker settles them): providers cannot send `Prefer: respond-async` themselves.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE webhook_endpoints ADD COLUMN respond_async boolean NOT NULL DEFAULT false`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE webhook_endpoints DROP COLUMN respond_async`.execute(db);
}
