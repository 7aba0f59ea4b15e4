import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from './client.js';
import { isUniqueViolation } from './errors.js';

describe('embedded database transactions', () => {
  let handle: DatabaseHandle<unknown> | null = null;
  afterEach(async () => {
    await handle?.close();
    handle = null;
  });

  it('keeps concurrent transactions apart: a rollback undoes only its own writes, a commit commits only its own', async () => {
    handle = await openDatabase({ dataDir: 'memory://', poolSize: 1 });
    const { db } = handle;
    await sql`CREATE TABLE t (v text)`.execute(db);
    const failing = db
      .transaction()
      .execute(async (trx) => {
        await sql`INSERT INTO t VALUES ('rolled back')`.execute(trx);
        await new Promise((resolve) => setTimeout(resolve, 30));
        throw new Error('abort');
      })
      .catch((error: unknown) => (error as Error).message);
    const committing = db.transaction().execute(async (trx) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      await sql`INSERT INTO t VALUES ('committed')`.execute(trx);
    });
    const outside = sql<{ v: string }>`SELECT v FROM t`.execute(db);
    expect(await failing).toBe('abort');
    await committing;
    // A query issued while the transactions ran waits its turn and sees only committed rows.
    expect((await outside).rows.map((r) => r.v)).toEqual(['committed']);
    const rows = await sql<{ v: string }>`SELECT v FROM t`.execute(db);
    expect(rows.rows.map((r) => r.v)).toEqual(['committed']);
  });

  it('passes PostgreSQL errors back from the database thread with their fields, and keeps working after them', async () => {
    handle = await openDatabase({ dataDir: 'memory://', poolSize: 1 });
    const { db } = handle;
    await sql`CREATE TABLE u (k text CONSTRAINT u_k_key UNIQUE)`.execute(db);
    await sql`INSERT INTO u VALUES ('a')`.execute(db);
    const failure = await sql`INSERT INTO u VALUES ('a')`.execute(db).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect(failure).toMatchObject({ code: '23505', constraint: 'u_k_key' });
    expect(isUniqueViolation(failure)).toBe(true);
    expect(isUniqueViolation(new Error('duplicate key value'))).toBe(false);
    const inserted = await db
      .insertInto('u' as never)
      .values({ k: 'b' } as never)
      .executeTakeFirst();
    expect(inserted.numInsertedOrUpdatedRows).toBe(1n);
    expect((await sql<{ k: string }>`SELECT k FROM u ORDER BY k`.execute(db)).rows).toEqual([{ k: 'a' }, { k: 'b' }]);
  });
});
