import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from './client.js';

describe('embedded database transactions', () => {
  let handle: DatabaseHandle | null = null;
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
});
