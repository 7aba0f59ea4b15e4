import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Kysely, Migrator, PostgresDialect, sql, type QueryExecutorProvider } from 'kysely';
import pg from 'pg';
import { migrationProvider } from './migrations/index.js';
import { PGliteThread, pgliteThreadDialect } from './pglite-thread.js';
import { prepareMarkedStatements } from './prepared-statements.js';

export type DatabaseKind = 'pglite' | 'postgres';

/** DB is the composed table map (src/database.ts): the platform knows no module's tables. */
export interface DatabaseHandle<DB> {
  db: Kysely<DB>;
  kind: DatabaseKind;
  /** Where the data lives, for logs: a directory for PGlite, host/db for PostgreSQL (no credentials). */
  location: string;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl?: string | undefined;
  /** PGlite directory, or `memory://` for an in-memory database. */
  dataDir: string;
  poolSize: number;
}

function describeUrl(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
}

export async function openDatabase<DB>(options: DatabaseOptions): Promise<DatabaseHandle<DB>> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize });
    // A pool error (e.g. the server restarted) must not crash the process; requests see the failure instead.
    pool.on('error', () => undefined);
    pool.on('connect', prepareMarkedStatements);
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', location: describeUrl(options.databaseUrl), close: () => db.destroy() };
  }
  const inMemory = options.dataDir === 'memory://';
  const location = inMemory ? 'memory://' : resolve(options.dataDir);
  if (!inMemory) mkdirSync(location, { recursive: true });
  const thread = await PGliteThread.start(inMemory ? undefined : location);
  const db = new Kysely<DB>({ dialect: pgliteThreadDialect(thread) });
  return { db, kind: 'pglite', location, close: () => db.destroy() };
}

export async function migrateToLatest<DB>(db: Kysely<DB>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

export async function pingDatabase(db: QueryExecutorProvider, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`database did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([sql`select 1`.execute(db), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
