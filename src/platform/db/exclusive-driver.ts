import type { DatabaseConnection, Dialect, Driver, TransactionSettings } from 'kysely';

/**
 * Hands out its one connection to one holder at a time. PGlite is a single session: without this,
 * kysely-pglite lets two transactions interleave on it, so one's COMMIT commits the other's
 * half-done work and its ROLLBACK undoes nothing (reproduced with two concurrent transactions).
 * Queries inside a transaction hold the connection until COMMIT/ROLLBACK, others wait their turn.
 */
export class ExclusiveDriver implements Driver {
  private tail: Promise<void> = Promise.resolve();
  private release: (() => void) | null = null;

  constructor(private readonly inner: Driver) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.release = release;
    return this.inner.acquireConnection();
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    await this.inner.releaseConnection(connection);
    const release = this.release;
    this.release = null;
    release?.();
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.inner.beginTransaction(connection, settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(connection);
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

/** The dialect with its driver made exclusive (see ExclusiveDriver). */
export function exclusiveDialect(dialect: Dialect): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createDriver: () => new ExclusiveDriver(dialect.createDriver()),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createQueryCompiler: () => dialect.createQueryCompiler(),
  };
}
