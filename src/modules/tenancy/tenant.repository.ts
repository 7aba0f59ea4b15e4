import type { Kysely } from 'kysely';
import type { Database } from '../../database.js';
import { newId } from '../../platform/ids.js';
import { toDate } from '../../platform/db/timestamps.js';

export interface Tenant {
  id: string;
  name: string;
  createdAt: Date;
}

export class TenantRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async create(name: string): Promise<Tenant | null> {
    const row = await this.db
      .insertInto('tenants')
      .values({ id: newId('ten'), name })
      .onConflict((oc) => oc.column('name').doNothing())
      .returningAll()
      .executeTakeFirst();
    return row ? { id: row.id, name: row.name, createdAt: toDate(row.created_at) } : null;
  }

  async findByName(name: string): Promise<Tenant | null> {
    const row = await this.db.selectFrom('tenants').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? { id: row.id, name: row.name, createdAt: toDate(row.created_at) } : null;
  }

  async findById(id: string): Promise<Tenant | null> {
    const row = await this.db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? { id: row.id, name: row.name, createdAt: toDate(row.created_at) } : null;
  }

  /** Every tenant's id, for jobs that visit each tenant in turn. */
  async ids(): Promise<string[]> {
    const rows = await this.db.selectFrom('tenants').select('id').orderBy('id').execute();
    return rows.map((r) => r.id);
  }

  async list(): Promise<Tenant[]> {
    const rows = await this.db.selectFrom('tenants').selectAll().orderBy('created_at').execute();
    return rows.map((row) => ({ id: row.id, name: row.name, createdAt: toDate(row.created_at) }));
  }

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom('tenants')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
