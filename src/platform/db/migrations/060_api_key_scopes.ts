import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // Keys made before scopes existed could do everything: they keep doing so. New keys always name
  // their scopes, so the default is dropped once the existing rows have it.
  await sql`ALTER TABLE api_keys ADD COLUMN scopes jsonb NOT NULL DEFAULT '["ingest","score","read","manage"]'::jsonb`.execute(
    db,
  );
  await sql`ALTER TABLE api_keys ALTER COLUMN scopes DROP DEFAULT`.execute(db);
  // CIDRs the key may be used from; null = any address.
  await sql`ALTER TABLE api_keys ADD COLUMN allowed_cidrs jsonb`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE api_keys DROP COLUMN allowed_cidrs`.execute(db);
  await sql`ALTER TABLE api_keys DROP COLUMN scopes`.execute(db);
}
