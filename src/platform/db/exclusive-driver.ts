import type { DatabaseConnection, Driver, TransactionSettings } from 'kysely';

/**
 * Hands out its one connection to one holder at a time. PGlite is a single session: without this
 * (kysely-pglite's driver has no such lock) two transactions interleave on it, so one's COMMIT
 * commits the other's half-done work and its ROLLBACK undoes nothing.
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
