import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Kysely, Migrator, PostgresDialect, sql, type PostgresPool, type QueryExecutorProvider } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import { DependencyUnavailableError } from '../resilience/breaker.js';
import type { AcquireOutcome, Resilience } from '../resilience/resilience.js';
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
  /** How long a query waits for a pool connection (queued behind others, or connecting) before failing. */
  acquireTimeoutMs?: number;
  /** An idle pool connection is closed after this long. */
  idleTimeoutMs?: number;
  /** PostgreSQL's statement_timeout on every pool connection; 0 = none. */
  statementTimeoutMs?: number;
  /** Breaker and pool metrics; without it the pool is used bare (tests, one-shot tools). */
  resilience?: Resilience;
  /** The pool's name in metrics and its breaker's (`postgres` for `primary`, `postgres_<name>` otherwise). */
  poolName?: string;
}

/** Defaults of the pool timeouts (config.ts gives the same to DATABASE_POOL_*_MS and DATABASE_STATEMENT_TIMEOUT_MS). */
export const POOL_DEFAULTS = { acquireTimeoutMs: 5000, idleTimeoutMs: 30_000, statementTimeoutMs: 30_000 };

export function describeUrl(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
}

export async function openDatabase<DB>(options: DatabaseOptions): Promise<DatabaseHandle<DB>> {
  if (options.databaseUrl) {
    const statementTimeout = options.statementTimeoutMs ?? POOL_DEFAULTS.statementTimeoutMs;
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize,
      connectionTimeoutMillis: options.acquireTimeoutMs ?? POOL_DEFAULTS.acquireTimeoutMs,
      idleTimeoutMillis: options.idleTimeoutMs ?? POOL_DEFAULTS.idleTimeoutMs,
      ...(statementTimeout > 0 ? { statement_timeout: statementTimeout } : {}),
      // Half-open TCP connections (a host gone without a FIN) are found by the kernel instead of hanging a query.
      keepAlive: true,
    });
    // A pool error (e.g. the server restarted) must not crash the process; requests see the failure instead.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => {
      // A checked-out connection that the server ends between two queries (a shutdown, a failover) emits
      // 'error' with no pool listener on it, which would end the process; its next query fails instead.
      client.on('error', () => undefined);
      prepareMarkedStatements(client);
    });
    const guarded = options.resilience ? guardedPool(pool, options.resilience, options.poolName ?? 'primary') : pool;
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: guarded }) });
    return { db, kind: 'postgres', location: describeUrl(options.databaseUrl), close: () => db.destroy() };
  }
  const inMemory = options.dataDir === 'memory://';
  const location = inMemory ? 'memory://' : resolve(options.dataDir);
  if (!inMemory) mkdirSync(location, { recursive: true });
  const thread = await PGliteThread.start(inMemory ? undefined : location);
  const db = new Kysely<DB>({ dialect: pgliteThreadDialect(thread) });
  return { db, kind: 'pglite', location, close: () => db.destroy() };
}

/**
 * Every connection through the pool goes through the database's circuit breaker (an open circuit
 * fails a query at once instead of after the acquire timeout) and is timed per outcome.
 */
function guardedPool(pool: pg.Pool, resilience: Resilience, name: string): PostgresPool {
  const breaker = resilience.breaker(name === 'primary' ? 'postgres' : `postgres_${name}`);
  resilience.trackPool(name, pool, pool.options.max);
  return {
    async connect() {
      const started = performance.now();
      let outcome: AcquireOutcome = 'ok';
      try {
        return await breaker.run(() => pool.connect());
      } catch (error) {
        outcome =
          error instanceof DependencyUnavailableError
            ? 'circuit_open'
            : error instanceof Error && error.message.includes('timeout exceeded')
              ? 'timeout'
              : 'error';
        throw error;
      } finally {
        resilience.acquireSeconds.observe({ pool: name, outcome }, (performance.now() - started) / 1000);
      }
    },
    end: () => pool.end(),
  };
}

/** Runs on one connection with statement_timeout lifted: a migration may rewrite a large table. */
export async function migrateToLatest<DB>(db: Kysely<DB>): Promise<string[]> {
  return db.connection().execute(async (connection) => {
    await sql`set statement_timeout = 0`.execute(connection);
    try {
      const migrator = new Migrator({ db: connection, provider: migrationProvider });
      const { error, results } = await migrator.migrateToLatest();
      if (error) throw error instanceof Error ? error : new Error(String(error));
      return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    } finally {
      await sql`reset statement_timeout`.execute(connection);
    }
  });
}

/**
 * Waits until PostgreSQL at `url` accepts a connection and answers, retrying with exponential
 * backoff (each failed attempt is logged with the next delay). Returns how many attempts it took.
 */
export async function waitForPostgres(
  url: string,
  logger: Pick<Logger, 'warn' | 'info'>,
  options: {
    initialDelayMs?: number;
    maxDelayMs?: number;
    connectTimeoutMs?: number;
    /** Told of each failed attempt (what the starting listener's readiness reports). */
    onFailure?: (error: unknown, latencyMs: number) => void;
  } = {},
): Promise<number> {
  const initial = options.initialDelayMs ?? 500;
  const max = options.maxDelayMs ?? 10_000;
  for (let attempt = 1; ; attempt++) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: options.connectTimeoutMs ?? 5000 });
    client.on('error', () => undefined);
    const started = performance.now();
    try {
      await client.connect();
      await client.query('select 1');
      if (attempt > 1) logger.info({ attempt, database: describeUrl(url) }, 'database reachable');
      return attempt;
    } catch (error) {
      options.onFailure?.(error, performance.now() - started);
      const delayMs = Math.min(max, initial * 2 ** (attempt - 1));
      logger.warn(
        { attempt, delayMs, database: describeUrl(url), err: error },
        'database not reachable; retrying after a delay',
      );
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
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
