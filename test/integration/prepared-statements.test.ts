import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PREPARED_STATEMENT_MARKER, prepareMarkedStatements } from '../../src/platform/db/prepared-statements.js';
import { createPostgresDatabase } from '../harness/stores.js';

describe('prepared marked statements (real PostgreSQL)', { tags: ['postgres'] }, () => {
  let pool: pg.Pool;

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: await createPostgresDatabase(), max: 1 });
    pool.on('connect', prepareMarkedStatements);
  });
  afterAll(async () => {
    await pool.end();
  });

  const prepared = async (client: pg.PoolClient) =>
    (await client.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements')).rows.map(
      (r) => r.statement,
    );

  it('prepares a marked statement once per connection and reuses it; unmarked statements stay unnamed', async () => {
    const client = await pool.connect();
    try {
      const text = `${PREPARED_STATEMENT_MARKER} SELECT sum(x::int) AS total FROM json_array_elements_text($1::json) AS t(x)`;
      const first = await client.query(text, [JSON.stringify([1, 2, 3])]);
      const second = await client.query(text, [JSON.stringify([10, 20])]);
      expect([first.rows[0].total, second.rows[0].total].map(Number)).toEqual([6, 30]);
      await client.query('SELECT $1::int AS n', [7]);
      expect(await prepared(client)).toEqual([text]);
    } finally {
      client.release();
    }
  });
});
