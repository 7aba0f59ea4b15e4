/**
 * `npm run bench -- ingest-cpu`: where an ingested event's time goes on a durable PostgreSQL, for
 * single events (as `-- ingest` posts them) and for batches. Per run: CPU per event by process and
 * thread (/proc), how busy the machine was (/proc/stat), and the API's main thread's time on a core,
 * runnable but waiting for one, and asleep (schedstat). BENCH_DROP_SECONDARY_INDEXES=1 first drops the
 * event tables' secondary indexes (primary and unique keys stay): what fewer index entries would buy.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { startPostgres } from '../test/harness/processes.js';
import { batches, singleEvents, startServer, type Server } from './ingest.js';
import { cpuSnapshot, loadAverage, printCpuPerRequest, startPaylens, stopProcess } from './lib.js';

/** Every secondary index of the tables an event writes: lists and lookups, none that enforces a key. */
const SECONDARY_INDEXES = [
  'payment_events_list_idx',
  'payment_events_payment_idx',
  'payment_events_customer_idx',
  'payment_events_capture_idx',
  'payment_events_transactional_id_idx',
  'raw_events_tenant_status_idx',
  'raw_events_retry_idx',
  'raw_event_keys_received_idx',
  'risk_assessments_tenant_time_idx',
  'risk_assessments_tenant_tx_idx',
  'payments_tenant_status_idx',
];

const MACHINE_FIELDS = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;

function machineTicks(): number[] {
  return readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
}

/** The API main thread's nanoseconds on a core and runnable but waiting for one (schedstat). */
function mainThreadSched(pid: number): [onCpu: number, waiting: number] {
  const [onCpu, waiting] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
  return [onCpu!, waiting!];
}

/**
 * Runs `load` and prints where the time went, per event stored: counted in the database, so a
 * load's warm-up is in both the CPU and the count.
 */
async function measured(title: string, server: Server, db: pg.Client, load: () => Promise<unknown>): Promise<void> {
  const stored = async () => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM raw_events')).rows[0]!.n);
  const before = await stored();
  const pid = server.child.pid!;
  const cpu = cpuSnapshot(pid);
  const ticks = machineTicks();
  const sched = mainThreadSched(pid);
  const started = performance.now();
  await load();
  const wallNs = (performance.now() - started) * 1e6;
  const [onCpu, waiting] = mainThreadSched(pid);
  const used = machineTicks().map((t, i) => t - ticks[i]!);
  const total = used.reduce((a, b) => a + b, 0);
  const events = (await stored()) - before;
  const share = (ns: number) => `${((100 * ns) / wallNs).toFixed(0)} %`;
  console.log(`\n## ${title}: ${events} events`);
  console.log(`machine: ${MACHINE_FIELDS.map((f, i) => `${f} ${((100 * used[i]!) / total).toFixed(1)} %`).join(', ')}`);
  console.log(
    `API main thread: on a core ${share(onCpu - sched[0])}, waiting for one ${share(waiting - sched[1])}, asleep ${share(wallNs - (onCpu - sched[0]) - (waiting - sched[1]))} of the wall time`,
  );
  printCpuPerRequest(title, cpu, cpuSnapshot(pid), events);
}

export async function run(): Promise<void> {
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  const dropIndexes = process.env.BENCH_DROP_SECONDARY_INDEXES === '1';
  console.log(`\n# Ingest CPU per event (PostgreSQL, fsync on${dropIndexes ? ', secondary indexes dropped' : ''})`);
  console.log(`load average at the start: ${loadAverage()}`);
  const postgres = await startPostgres({ durable: true });
  try {
    const server = await startServer(startPaylens, { DATABASE_URL: postgres.url, DATABASE_POOL_SIZE: '16' });
    try {
      const db = new pg.Client({ connectionString: postgres.url });
      await db.connect();
      try {
        if (dropIndexes) for (const index of SECONDARY_INDEXES) await db.query(`DROP INDEX IF EXISTS ${index}`);
        await measured('single events, 50 connections', server, db, () => singleEvents(server, 'single', 50, seconds));
        await measured('batches of 1,000, 4 clients', server, db, () => batches(server, 'batch', 1000, 4, seconds));
      } finally {
        await db.end();
      }
    } finally {
      await stopProcess(server.child);
    }
  } finally {
    await postgres.stop();
  }
  console.log(`\nload average at the end: ${loadAverage()}`);
}
