import pg from 'pg';

/** One row of the data lake's `raw_transactions` table. */
export interface LakeRow {
  id: string;
  data: unknown;
  merchant: unknown;
  transactionalId: string | null;
  /** As PostgreSQL prints it: a JS Date would drop the microseconds the page position needs. */
  createdAt: string;
}

export interface LakePosition {
  createdAt: string;
  id: string;
}

export interface LakeSource {
  /** Unprocessed rows after `after`, oldest first by (created_at, id). */
  fetchPage(limit: number, after: LakePosition | null): Promise<LakeRow[]>;
  markProcessed(ids: string[]): Promise<void>;
  close(): Promise<void>;
}

interface LakeRecord {
  id: string;
  data: unknown;
  merchant: unknown;
  transactional_id: string | null;
  created_at: string;
}

/** The data lake's PostgreSQL (DATALAKE_DATABASE_URL): read in pages, flag rows once Paylens holds them. */
export function openLakeSource(url: string): LakeSource {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => undefined);
  return {
    async fetchPage(limit, after) {
      const result = after
        ? await pool.query<LakeRecord>(
            `SELECT id::text AS id, data, merchant, transactional_id::text AS transactional_id, created_at::text AS created_at
             FROM raw_transactions
             WHERE processed = false AND (created_at, id) > ($1::timestamptz, $2::uuid)
             ORDER BY created_at, id LIMIT $3`,
            [after.createdAt, after.id, limit],
          )
        : await pool.query<LakeRecord>(
            `SELECT id::text AS id, data, merchant, transactional_id::text AS transactional_id, created_at::text AS created_at
             FROM raw_transactions
             WHERE processed = false ORDER BY created_at, id LIMIT $1`,
            [limit],
          );
      return result.rows.map((r) => ({
        id: r.id,
        data: r.data,
        merchant: r.merchant,
        transactionalId: r.transactional_id,
        createdAt: r.created_at,
      }));
    },
    async markProcessed(ids) {
      if (ids.length === 0) return;
      await pool.query(
        `UPDATE raw_transactions SET processed = true, processed_at = now() WHERE id = ANY($1::uuid[]) AND processed = false`,
        [ids],
      );
    },
    close: () => pool.end(),
  };
}
