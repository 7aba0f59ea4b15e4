import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

export type StoreKind = 'pglite' | 'postgres';

/** The stores every storage behaviour is tested against; PostgreSQL is mandatory under CI. */
export function storeKinds(): StoreKind[] {
  return inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];
}

/** A fresh, empty database on the harness's PostgreSQL server. */
export async function createPostgresDatabase(): Promise<string> {
  const adminUrl = inject('postgresUrl');
  if (!adminUrl) throw new Error('no PostgreSQL server in this run');
  const name = `paylens_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  return adminUrl.replace(/\/postgres$/, `/${name}`);
}

/** The harness's Redis server, for tests tagged `redis`. */
export function harnessRedisUrl(): string {
  const url = inject('redisUrl');
  if (!url) throw new Error('no Redis server in this run');
  return url;
}
