import { sql, type QueryExecutorProvider } from 'kysely';
import type { Logger } from 'pino';

/** Settings rows `worker_heartbeat:<id>` hold the epoch milliseconds of each running worker's last beat. */
const KEY_PREFIX = 'worker_heartbeat:';
export const HEARTBEAT_INTERVAL_MS = 10_000;
/** Three missed beats: a worker this quiet is stuck or gone. */
export const HEARTBEAT_STALE_MS = 3 * HEARTBEAT_INTERVAL_MS;
/** A crashed worker's row is pruned after a day (a stopped one removes its own). */
const PRUNE_AFTER_MS = 86_400_000;

/**
 * A separate retry worker (`paylens worker`) says it is alive in the database every 10 s, so every
 * API instance's readiness can report whether one is running without knowing where it runs.
 */
export class WorkerHeartbeat {
  private timer: NodeJS.Timeout | null = null;
  private readonly key: string;

  constructor(
    private readonly db: QueryExecutorProvider,
    workerId: string,
    private readonly logger: Pick<Logger, 'warn'>,
  ) {
    this.key = `${KEY_PREFIX}${workerId}`;
  }

  start(): void {
    if (this.timer) return;
    void this.beat();
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await sql`delete from settings where key = ${this.key}`.execute(this.db).catch(() => undefined);
  }

  private async beat(): Promise<void> {
    // Wall-clock time, not the container's clock: readiness compares it with its own Date.now().
    const now = Date.now();
    try {
      await sql`insert into settings (key, value) values (${this.key}, ${String(now)})
        on conflict (key) do update set value = excluded.value`.execute(this.db);
      await sql`delete from settings where key like ${`${KEY_PREFIX}%`}
        and value::bigint < ${now - PRUNE_AFTER_MS}`.execute(this.db);
    } catch (error) {
      // The database is down: the beat is missed, which is what readiness should see; the next one retries.
      this.logger.warn({ err: error }, 'worker heartbeat not stored');
    }
  }
}

/** Epoch milliseconds of the most recent beat of any worker, or null when none has beaten. */
export async function latestWorkerHeartbeat(db: QueryExecutorProvider): Promise<number | null> {
  const { rows } = await sql<{ at: string | null }>`select max(value::bigint)::text as at from settings
    where key like ${`${KEY_PREFIX}%`}`.execute(db);
  const at = rows[0]?.at;
  return at === null || at === undefined ? null : Number(at);
}
