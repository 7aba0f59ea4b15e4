import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryResult,
} from 'kysely';

/**
 * The worker's whole program. Evaluated from a string so it runs the same under the compiled build
 * and the TypeScript test runner (a worker cannot load a .ts file); it requires PGlite by the path
 * the main thread resolved.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { PGlite } = require(workerData.pglitePath);
PGlite.create({ ...(workerData.dataDir ? { dataDir: workerData.dataDir } : {}), postgresqlconf: workerData.postgresqlconf }).then(
  async (db) => {
    parentPort.on('message', async (m) => {
      if (m.close) {
        await db.close();
        parentPort.postMessage({ id: m.id, rows: [], affectedRows: 0 });
        return;
      }
      try {
        if (m.begin) await db.query('BEGIN');
        const result = await db.query(m.sql, m.params);
        parentPort.postMessage({ id: m.id, rows: result.rows, affectedRows: result.affectedRows ?? 0 });
      } catch (error) {
        const fields = {};
        for (const key of ['code', 'detail', 'hint', 'constraint', 'table', 'column', 'schema', 'severity', 'position']) {
          if (error && error[key] !== undefined) fields[key] = error[key];
        }
        parentPort.postMessage({ id: m.id, error: { message: error && error.message ? error.message : String(error), fields } });
      }
    });
    parentPort.postMessage({ ready: true });
  },
  (error) => parentPort.postMessage({ failed: String((error && error.stack) || error) }),
);
`;

/**
 * The embedded store serves one node's working set, and its shared buffers live in the WebAssembly
 * heap (which never shrinks) on top of the operating system's page cache of the same files:
 * PostgreSQL's default 128 MB cost ~160 MB RSS for no measured gain, and 16 MB still ~12 MB more
 * idle RSS than 4 MB (pages it misses are read back from the page cache, not the disk).
 */
const EMBEDDED_POSTGRESQL_CONF = ['shared_buffers = 4MB'];

/**
 * The thread's JavaScript only passes messages and rows; PostgreSQL's memory is the WebAssembly heap.
 * V8's default young generation (up to 3 × 16 MB) grew at start-up and stayed: ~30 MB idle RSS.
 */
const THREAD_RESOURCE_LIMITS = { maxYoungGenerationSizeMb: 4 };

async function initialiseDataDir(dataDir: string): Promise<void> {
  const pglitePath = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const program = `require(process.argv[1]).PGlite.create({ dataDir: process.argv[2] }).then((db) => db.close())`;
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', program, pglitePath, dataDir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`the embedded database could not be initialised: ${stderr.trim()}`)),
    );
  });
}

interface Reply {
  id: number;
  rows?: unknown[];
  affectedRows?: number;
  error?: { message: string; fields: Record<string, unknown> };
}

/** Rebuilt on this side with the fields PostgreSQL errors carry (code, detail, constraint, …). */
class DatabaseError extends Error {
  constructor(message: string, fields: Record<string, unknown>) {
    super(message);
    Object.assign(this, fields);
  }
}

/**
 * PGlite in a worker thread. PGlite is PostgreSQL compiled to WebAssembly and runs synchronously
 * in the thread that calls it: on the server's main thread every query, and the occasional storage
 * stall of 10–30 ms, blocked all requests (measured: the embedded risk p99). Here queries are
 * messages; the main thread only waits for their answers.
 */
export class PGliteThread {
  private readonly pending = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private failure: Error | null = null;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: Reply) => {
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      waiter.resolve(reply);
    });
    const fail = (error: Error) => {
      this.failure = error;
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the embedded database thread exited (code ${code})`)));
  }

  /**
   * Starts the thread and waits until the database is open; `dataDir` undefined keeps it in memory.
   * A new data directory is first initialised by a child process: initdb grows the WebAssembly heap
   * to ~600 MB, a WebAssembly heap never shrinks, and even a finished thread's memory stays with the
   * process (840 MB RSS idle after a first start, ~370 MB with a thread; a process gives it all back).
   */
  static async start(dataDir: string | undefined): Promise<PGliteThread> {
    if (dataDir && !existsSync(join(dataDir, 'PG_VERSION'))) await initialiseDataDir(dataDir);
    const pglitePath = createRequire(import.meta.url).resolve('@electric-sql/pglite');
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      resourceLimits: THREAD_RESOURCE_LIMITS,
      workerData: { pglitePath, dataDir, postgresqlconf: EMBEDDED_POSTGRESQL_CONF },
    });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (message: { ready?: boolean; failed?: string }) => {
        if (message.ready) resolve();
        else if (message.failed) reject(new Error(`the embedded database did not open: ${message.failed}`));
        else return;
        worker.off('message', onMessage);
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
    return new PGliteThread(worker);
  }

  /** `begin`: open a transaction first, in the same round trip. */
  async query(sql: string, params: readonly unknown[], begin = false): Promise<QueryResult<unknown>> {
    const reply = await this.send(begin ? { sql, params, begin } : { sql, params });
    if (reply.error) throw new DatabaseError(reply.error.message, reply.error.fields);
    return { rows: reply.rows ?? [], numAffectedRows: BigInt(reply.affectedRows ?? 0) };
  }

  async close(): Promise<void> {
    if (this.failure) return;
    await this.send({ close: true });
    await this.worker.terminate();
  }

  private send(message: Record<string, unknown>): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, id });
    });
  }
}

class ThreadConnection implements DatabaseConnection {
  /**
   * BEGIN travels with the transaction's first statement: every message waits behind whatever the
   * main thread is doing, so a round trip saved is latency saved. A transaction that ran nothing
   * has nothing to commit or roll back.
   */
  beginPending = false;

  constructor(private readonly thread: PGliteThread) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const begin = this.beginPending;
    this.beginPending = false;
    return this.thread.query(query.sql, query.parameters, begin) as Promise<QueryResult<R>>;
  }

  async endTransaction(statement: 'COMMIT' | 'ROLLBACK'): Promise<void> {
    if (this.beginPending) {
      this.beginPending = false;
      return;
    }
    await this.executeQuery(CompiledQuery.raw(statement));
  }

  // eslint-disable-next-line require-yield -- Kysely's interface; PGlite cannot stream
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('the embedded database does not stream results');
  }
}

/**
 * Hands its one connection to one holder at a time. PGlite is a single session: two transactions
 * interleaving on it would let one's COMMIT commit the other's half-done work and its ROLLBACK undo
 * nothing. Queries inside a transaction hold the connection until COMMIT/ROLLBACK; others wait their turn.
 */
class ThreadDriver implements Driver {
  private readonly connection: ThreadConnection;
  private tail: Promise<void> = Promise.resolve();
  private release: (() => void) | null = null;

  constructor(private readonly thread: PGliteThread) {
    this.connection = new ThreadConnection(thread);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.release = release;
    return this.connection;
  }

  async releaseConnection(): Promise<void> {
    const release = this.release;
    this.release = null;
    release?.();
  }

  async beginTransaction(): Promise<void> {
    this.connection.beginPending = true;
  }

  commitTransaction(): Promise<void> {
    return this.connection.endTransaction('COMMIT');
  }

  rollbackTransaction(): Promise<void> {
    return this.connection.endTransaction('ROLLBACK');
  }

  /** Waits for the holder and everyone queued behind it, as a pool's end() waits for its clients. */
  async destroy(): Promise<void> {
    await this.tail;
    await this.thread.close();
  }
}

/** A Kysely dialect over a PGlite thread; one transaction at a time, as PGlite is one session. */
export function pgliteThreadDialect(thread: PGliteThread): Dialect {
  return {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new ThreadDriver(thread),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  };
}
