import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Installation-wide settings that must survive restarts (e.g. a generated salt). */
export class SettingsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async get(key: string): Promise<string | null> {
    const row = await this.db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
    return row?.value ?? null;
  }

  /** Stores `value` unless the key exists; returns whichever value won (safe across instances). */
  async getOrCreate(key: string, value: string): Promise<string> {
    await this.db.insertInto('settings').values({ key, value }).onConflict((oc) => oc.column('key').doNothing()).execute();
    return (await this.get(key)) ?? value;
  }
}
