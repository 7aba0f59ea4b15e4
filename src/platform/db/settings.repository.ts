import { sql, type QueryExecutorProvider } from 'kysely';

/**
 * Installation-wide settings that must survive restarts (e.g. a generated salt). Plain SQL over any
 * Kysely instance (or transaction): the platform owns this table but not the composed database type.
 */
export class SettingsRepository {
  constructor(private readonly db: QueryExecutorProvider) {}

  async get(key: string): Promise<string | null> {
    const { rows } = await sql<{ value: string }>`select value from settings where key = ${key}`.execute(this.db);
    return rows[0]?.value ?? null;
  }

  /** Stores `value` unless the key exists; returns whichever value won (safe across instances). */
  async getOrCreate(key: string, value: string): Promise<string> {
    await sql`insert into settings (key, value) values (${key}, ${value}) on conflict (key) do nothing`.execute(
      this.db,
    );
    return (await this.get(key)) ?? value;
  }
}
