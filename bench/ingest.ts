import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort, startPostgres } from '../test/harness/processes.js';
import {
  distinctStripeEvent,
  loadAverage,
  pregenerated,
  printTable,
  rssMb,
  runLoad,
  serverNodeFlags,
  startNode,
  startPaylens,
  startPaylensWorker,
  stopProcess,
  waitForHttp,
  type LoadResult,
} from './lib.js';

const KEY = `pl_${'b'.repeat(43)}`;
/** RFC 7240: answer once the payload is stored, before it is normalized and scored. */
const RESPOND_ASYNC = { prefer: 'respond-async' };
const here = fileURLToPath(new URL('.', import.meta.url));
const baselineScript = join(here, 'baseline-server.js');
/**
 * Above any rate measured here (docs/benchmarks.md), so every body of a timed run is built before
 * it starts: building one costs ~1.6 µs per event on the cores the server is measured on.
 */
const MAX_EVENTS_PER_SECOND = { single: 80_000, batch: 100_000 };
/** How long a server is left alone after it is ready before its idle RSS is read. */
const SETTLE_MS = 10_000;

export interface BatchResult {
  label: string;
  batches: number;
  events: number;
  failedBatches: number;
  eventsPerSecond: number;
  p50: number;
  p99: number;
  peakRssMb: number | null;
}

export interface Server {
  child: ChildProcess;
  port: number;
  idleRssMb: number | null;
}

export async function startServer(
  start: (env: Record<string, string>) => ChildProcess,
  env: Record<string, string>,
): Promise<Server> {
  const port = await freePort();
  const child = start({
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    PAYLENS_BOOTSTRAP_API_KEY: KEY,
    RUN_WORKER_IN_SERVER: 'false',
    ...env,
  });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/health/ready`);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    return { child, port, idleRssMb: rssMb(child.pid, 'VmRSS') };
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
}

export async function singleEvents(
  server: Server,
  label: string,
  connections: number,
  seconds: number,
  extraHeaders: Record<string, string> = {},
): Promise<LoadResult> {
  const options = {
    url: `http://127.0.0.1:${server.port}/v1/events`,
    connections,
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...extraHeaders },
  };
  const bodies = (durationSeconds: number) =>
    pregenerated(() => JSON.stringify(distinctStripeEvent('bench')), durationSeconds * MAX_EVENTS_PER_SECOND.single);
  await runLoad(`${label} warm-up`, { ...options, durationSeconds: 2, body: bodies(2) });
  return runLoad(label, { ...options, durationSeconds: seconds, body: bodies(seconds) }, server.child.pid);
}

/**
 * `POST /v1/events/batch` on the same server: `connections` clients each send a batch of `size`
 * distinct events and wait for its answer, for `seconds`. A batch counts only when its answer says
 * every event was stored, now or queued (a 200 may carry failed items).
 */
export async function batches(
  server: Server,
  label: string,
  size: number,
  connections: number,
  seconds: number,
  extraHeaders: Record<string, string> = {},
): Promise<BatchResult> {
  const makeBody = () => Buffer.from(JSON.stringify(Array.from({ length: size }, () => distinctStripeEvent('batch'))));
  const body = pregenerated(makeBody, connections + Math.ceil((seconds * MAX_EVENTS_PER_SECOND.batch) / size));
  const url = `http://127.0.0.1:${server.port}/v1/events/batch`;
  const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...extraHeaders };
  const post = async (): Promise<boolean> => {
    const res = await fetch(url, { method: 'POST', headers, body: body() });
    if (res.status !== 200) {
      await res.body?.cancel();
      return false;
    }
    const json = (await res.json()) as { summary: { stored: number; queued: number } };
    return json.summary.stored + json.summary.queued === size;
  };
  await Promise.all(Array.from({ length: connections }, post));
  const durations: number[] = [];
  let failed = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const ok = await post().catch(() => false);
        durations.push(performance.now() - t0);
        if (!ok) failed++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  durations.sort((a, b) => a - b);
  const stored = (durations.length - failed) * size;
  return {
    label,
    batches: durations.length,
    events: stored,
    failedBatches: failed,
    eventsPerSecond: Math.round(stored / elapsed),
    p50: Math.round(durations[Math.floor(durations.length * 0.5)] ?? 0),
    p99: Math.round(durations[Math.min(durations.length - 1, Math.floor(durations.length * 0.99))] ?? 0),
    peakRssMb: rssMb(server.child.pid, 'VmHWM'),
  };
}

/** What a worker settled: from `started` until the queue was empty. */
export interface DrainResult {
  label: string;
  events: number;
  seconds: number;
  perSecond: number;
}

/** The number of raw events still queued, all tenants. */
async function queuedCount(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM raw_events WHERE status = 'queued'`);
  return Number(rows[0]!.n);
}

/** Waits until no raw event is queued; `events` over the time since `started` is the settled rate. */
async function drained(client: pg.Client, label: string, events: number, started: number): Promise<DrainResult> {
  while ((await queuedCount(client)) > 0) await new Promise((r) => setTimeout(r, 100));
  const seconds = (performance.now() - started) / 1000;
  return { label, events, seconds: Math.round(seconds * 10) / 10, perSecond: Math.round(events / seconds) };
}

/**
 * `Prefer: respond-async` on the same PostgreSQL server, as two tiers and as one node:
 * 1. the API accepting alone, single events then batches (its worker would be on another node);
 * 2. one `paylens worker` started after, settling that backlog alone (the worker tier's rate);
 * 3. both on this machine at once: accepting while the worker drains, then until the queue is
 *    empty (what one node sustains end to end).
 */
async function respondAsync(
  server: Server,
  databaseUrl: string,
  options: { connections: number; seconds: number; batchSize: number; batchConnections: number },
): Promise<{ singles: LoadResult[]; batches: BatchResult[]; drains: DrainResult[] }> {
  const { connections, seconds, batchSize, batchConnections } = options;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const singles: LoadResult[] = [];
  const batchResults: BatchResult[] = [];
  const drains: DrainResult[] = [];
  const accepted = (r: LoadResult) => r.requests - r.non2xx - r.errors;
  const round = async (tier: string) => {
    const single = await singleEvents(server, `respond-async, ${tier}`, connections, seconds, RESPOND_ASYNC);
    const batch = await batches(
      server,
      `respond-async, batches of ${batchSize}, ${batchConnections} clients, ${tier}`,
      batchSize,
      batchConnections,
      seconds,
      RESPOND_ASYNC,
    );
    singles.push(single);
    batchResults.push(batch);
    return accepted(single) + batch.events;
  };
  try {
    const alone = await round('API alone');
    let started = performance.now();
    const worker = startPaylensWorker({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' });
    try {
      drains.push(await drained(client, 'one worker alone settles the API-alone backlog', alone, started));
      started = performance.now();
      const together = await round('worker draining beside it');
      drains.push(await drained(client, 'API and worker on one node, from the load start', together, started));
    } finally {
      await stopProcess(worker);
    }
  } finally {
    await client.end();
  }
  return { singles, batches: batchResults, drains };
}

/**
 * One run, every figure against the same ceiling: the bare Fastify handler; Paylens on PostgreSQL
 * with single events, then batches on the same server; Paylens on PGlite (idle RSS of a new data
 * directory, single events, then idle RSS after a restart on the same directory).
 */
export async function run(): Promise<void> {
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
  const batchSize = Number(process.env.BENCH_INGEST_BATCH_SIZE ?? 1000);
  const batchConnections = Number(process.env.BENCH_INGEST_BATCH_CONNECTIONS ?? 4);
  const loadAtStart = loadAverage();
  const rows: LoadResult[] = [];
  const idle: string[] = [];

  const bare = await startServer((env) => startNode([baselineScript], env), {});
  try {
    rows.push(await singleEvents(bare, 'bare Fastify handler (ceiling)', connections, seconds));
  } finally {
    await stopProcess(bare.child);
  }
  const ceiling = rows[0]!;

  let batch: BatchResult | undefined;
  let asyncRuns: Awaited<ReturnType<typeof respondAsync>> | undefined;
  const postgres = await startPostgres({ durable: true });
  try {
    const server = await startServer(startPaylens, { DATABASE_URL: postgres.url, DATABASE_POOL_SIZE: '16' });
    try {
      idle.push(`PostgreSQL server idle: ${server.idleRssMb} MB RSS`);
      rows.push(await singleEvents(server, 'Paylens on PostgreSQL (fsync on)', connections, seconds));
      batch = await batches(
        server,
        `Paylens on PostgreSQL, batches of ${batchSize}, ${batchConnections} clients`,
        batchSize,
        batchConnections,
        seconds,
      );
      asyncRuns = await respondAsync(server, postgres.url, { connections, seconds, batchSize, batchConnections });
    } finally {
      await stopProcess(server.child);
    }
  } finally {
    await postgres.stop();
  }

  const dataDir = mkdtempSync(join(tmpdir(), 'paylens-bench-pglite-'));
  try {
    const fresh = await startServer(startPaylens, { PAYLENS_DATA_DIR: dataDir });
    try {
      idle.push(`PGlite server idle, new data directory: ${fresh.idleRssMb} MB RSS`);
      rows.push(await singleEvents(fresh, 'Paylens on PGlite (embedded)', connections, seconds));
    } finally {
      await stopProcess(fresh.child);
    }
    const restarted = await startServer(startPaylens, { PAYLENS_DATA_DIR: dataDir });
    idle.push(`PGlite server idle, restarted on that directory: ${restarted.idleRssMb} MB RSS`);
    await stopProcess(restarted.child);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }

  printTable(`POST /v1/events — distinct Stripe events, ${connections} connections, ${seconds} s`, rows, ceiling);
  const single = rows[1]!;
  if (asyncRuns)
    printTable('POST /v1/events with Prefer: respond-async, same PostgreSQL server', asyncRuns.singles, ceiling);
  const batchRows: [BatchResult | undefined, LoadResult | undefined][] = [
    [batch, single],
    ...(asyncRuns?.batches.map((b, i): [BatchResult, LoadResult | undefined] => [b, asyncRuns?.singles[i]]) ?? []),
  ];
  console.log(`\n## POST /v1/events/batch — same PostgreSQL server, each after its single-event run`);
  console.log('| run | batches | failed | events/s | p50 ms/batch | p99 ms/batch | peak RSS MB | vs single |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const [b, s] of batchRows) {
    if (b === undefined || s === undefined) continue;
    const ratio = s.perSecond > 0 ? (b.eventsPerSecond / s.perSecond).toFixed(1) : '?';
    console.log(
      `| ${b.label} | ${b.batches} | ${b.failedBatches} | ${b.eventsPerSecond} | ${b.p50} | ${b.p99} | ${b.peakRssMb ?? '?'} | ${ratio}× |`,
    );
  }
  if (asyncRuns) {
    console.log(`\n## Queued events settled (normalized, scored, written) by one paylens worker`);
    console.log('| run | events | seconds | events/s | vs ceiling |');
    console.log('|---|---:|---:|---:|---:|');
    for (const d of asyncRuns.drains)
      console.log(
        `| ${d.label} | ${d.events} | ${d.seconds} | ${d.perSecond} | ${Math.round((d.perSecond / ceiling.perSecond) * 100)}% |`,
      );
  }
  console.log(`\n${idle.map((line) => `- ${line} (${SETTLE_MS / 1000} s after ready)`).join('\n')}`);
  const flags = (store: 'postgres' | 'embedded') => serverNodeFlags(store).join(' ') || 'none';
  console.log(
    `\nnode flags: PostgreSQL server ${flags('postgres')} (the image's CMD), PGlite server ${flags('embedded')} (npm start)`,
  );
  console.log(`load average (1 / 5 / 15 min): ${loadAtStart} at the start, ${loadAverage()} at the end`);
}
