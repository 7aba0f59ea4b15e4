import { sql, type Kysely, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import { PollingLoop } from '../jobs/polling-loop.js';

/** A table partitioned by month of `key` (migration 080), and what its retention removes with it. */
export interface PartitionedTable {
  table: string;
  key: string;
  /** Rows older than this many days are dropped; null keeps them for good. */
  retentionDays: number | null;
  /** Tables whose rows live and die with this one's (same cutoff on their own time column). */
  companions?: { table: string; key: string }[];
}

/** DB is the composed table map; the maintenance names its tables in plain SQL. */
export interface PartitionMaintenanceDeps<DB> {
  db: Kysely<DB>;
  tables: PartitionedTable[];
  /** Months created beyond the current one, so a month's first insert never lands in the default partition. */
  monthsAhead: number;
  clock: () => Date;
  logger: Logger;
  /** Pause between passes; a pass is cheap when there is nothing to do. */
  pollMs?: number;
}

export interface MaintenanceResult {
  created: string[];
  dropped: string[];
  deletedRows: number;
}

/** 'YYYY-MM' in UTC. */
function monthOf(date: Date): string {
  return date.toISOString().slice(0, 7);
}

function addMonths(month: string, n: number): string {
  const [year, m] = month.split('-').map(Number) as [number, number];
  const index = year * 12 + (m - 1) + n;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

function monthStart(month: string): Date {
  return new Date(`${month}-01T00:00:00Z`);
}

const PARTITION_NAME = /_p(\d{4})_(\d{2})$/;

/** Serializes maintenance across instances: two servers creating the same month would collide. */
const LOCK_KEY = 'paylens.partition-maintenance';

/**
 * Keeps the monthly partitions: creates the coming months ahead, moves rows that landed in the
 * default partition into their own month, and applies the retention by dropping whole months and
 * deleting the rows before the cutoff in the month that straddles it.
 */
export class PartitionMaintenance<DB> {
  private readonly loop: PollingLoop;

  constructor(private readonly deps: PartitionMaintenanceDeps<DB>) {
    this.loop = new PollingLoop(async () => (await this.runOnce()).created.length, {
      pollMs: deps.pollMs ?? 6 * 3_600_000,
      fullBatch: Number.POSITIVE_INFINITY,
      logger: deps.logger,
      name: 'partition maintenance',
    });
  }

  async runOnce(): Promise<MaintenanceResult> {
    const now = this.deps.clock();
    const result: MaintenanceResult = { created: [], dropped: [], deletedRows: 0 };
    for (const table of this.deps.tables) {
      result.created.push(...(await this.ensureMonths(table, now)));
      if (table.retentionDays !== null) {
        const pruned = await this.prune(table, new Date(now.getTime() - table.retentionDays * 86_400_000));
        result.dropped.push(...pruned.dropped);
        result.deletedRows += pruned.deletedRows;
      }
    }
    if (result.created.length + result.dropped.length + result.deletedRows > 0)
      this.deps.logger.info(result, 'partition maintenance');
    return result;
  }

  /** The months of `table` that have a partition, by their 'YYYY-MM'. */
  async months(table: string): Promise<Map<string, string>> {
    const rows = await sql<{ name: string }>`
      SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = to_regclass(${table})`.execute(this.deps.db);
    const months = new Map<string, string>();
    for (const { name } of rows.rows) {
      const match = PARTITION_NAME.exec(name);
      if (match) months.set(`${match[1]}-${match[2]}`, name);
    }
    return months;
  }

  private async ensureMonths(spec: PartitionedTable, now: Date): Promise<string[]> {
    const wanted = new Set<string>();
    const current = monthOf(now);
    for (let n = 0; n <= this.deps.monthsAhead; n++) wanted.add(addMonths(current, n));
    // Rows of other months in the default partition (a clock set back, a month not created in time).
    const stray = await sql<{ month: string }>`
      SELECT DISTINCT to_char(${sql.ref(spec.key)} AT TIME ZONE 'UTC', 'YYYY-MM') AS month
      FROM ${sql.table(`${spec.table}_default`)}`.execute(this.deps.db);
    for (const { month } of stray.rows) wanted.add(month);
    // Months already past the retention are not created again for rows about to be deleted.
    const cutoff =
      spec.retentionDays === null ? null : monthOf(new Date(now.getTime() - spec.retentionDays * 86_400_000));

    const existing = await this.months(spec.table);
    const created: string[] = [];
    for (const month of [...wanted].sort()) {
      if (existing.has(month) || (cutoff !== null && month < cutoff)) continue;
      const name = `${spec.table}_p${month.replace('-', '_')}`;
      const made = await this.deps.db.transaction().execute((trx) => this.createMonth(trx, spec, month, name));
      if (made) created.push(name);
    }
    return created;
  }

  /**
   * Builds the month beside the table and attaches it: CREATE TABLE … PARTITION OF would lock the
   * whole table against writes, ATTACH does not. Rows of the month waiting in the default partition
   * move first, under a lock on the default partition so none arrives in between.
   */
  private async createMonth(
    trx: Transaction<DB>,
    spec: PartitionedTable,
    month: string,
    name: string,
  ): Promise<boolean> {
    await sql`SELECT pg_advisory_xact_lock(hashtext(${LOCK_KEY}))`.execute(trx);
    const exists = await sql<{ oid: string | null }>`SELECT to_regclass(${name})::text AS oid`.execute(trx);
    if (exists.rows[0]?.oid) return false;
    const table = sql.table(spec.table);
    const defaultPartition = sql.table(`${spec.table}_default`);
    const key = sql.ref(spec.key);
    const from = sql.lit(monthStart(month).toISOString());
    const to = sql.lit(monthStart(addMonths(month, 1)).toISOString());
    await sql`LOCK TABLE ${defaultPartition} IN ACCESS EXCLUSIVE MODE`.execute(trx);
    await sql`CREATE TABLE ${sql.table(name)} (LIKE ${table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)`.execute(
      trx,
    );
    await sql`WITH moved AS (DELETE FROM ${defaultPartition} WHERE ${key} >= ${from} AND ${key} < ${to} RETURNING *)
              INSERT INTO ${sql.table(name)} SELECT * FROM moved`.execute(trx);
    await sql`ALTER TABLE ${table} ATTACH PARTITION ${sql.table(name)} FOR VALUES FROM (${from}) TO (${to})`.execute(
      trx,
    );
    return true;
  }

  /**
   * Drops the months wholly before the cutoff, then deletes the older rows of the month that
   * straddles it (and of the default partition); the companions lose their rows before the cutoff.
   * Dropping a month locks the table for an instant: a short lock timeout leaves it to the next pass
   * rather than queueing writes behind a long read.
   */
  private async prune(spec: PartitionedTable, cutoff: Date): Promise<{ dropped: string[]; deletedRows: number }> {
    const dropped: string[] = [];
    for (const [month, name] of [...(await this.months(spec.table))].sort()) {
      if (monthStart(addMonths(month, 1)) > cutoff) continue;
      await this.deps.db.transaction().execute(async (trx) => {
        await sql`SET LOCAL lock_timeout = '5s'`.execute(trx);
        await sql`DROP TABLE ${sql.table(name)}`.execute(trx);
      });
      dropped.push(name);
    }
    let deletedRows = 0;
    for (const target of [{ table: spec.table, key: spec.key }, ...(spec.companions ?? [])]) {
      const deleted = await sql<{ n: string }>`
        WITH gone AS (DELETE FROM ${sql.table(target.table)} WHERE ${sql.ref(target.key)} < ${cutoff} RETURNING 1)
        SELECT count(*) AS n FROM gone`.execute(this.deps.db);
      deletedRows += Number(deleted.rows[0]?.n ?? 0);
    }
    return { dropped, deletedRows };
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}
