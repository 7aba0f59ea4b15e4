import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startPostgres } from '../test/harness/processes.js';
import {
  distinctStripeEvent,
  loadAverage,
  pregenerated,
  printTable,
  rssMb,
  runLoad,
  startNode,
  startPaylens,
  stopProcess,
  waitForHttp,
  type LoadResult,
} from './lib.js';

const KEY = `pl_${'b'.repeat(43)}`;
const here = fileURLToPath(new URL('.', import.meta.url));
const baselineScript = join(here, 'baseline-server.js');
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
): Promise<LoadResult> {
  const options = {
    url: `http://127.0.0.1:${server.port}/v1/events`,
    connections,
    durationSeconds: 2,
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: () => JSON.stringify(distinctStripeEvent('bench')),
  };
  await runLoad(`${label} warm-up`, options);
  return runLoad(label, { ...options, durationSeconds: seconds }, server.child.pid);
}

/**
 * `POST /v1/events/batch` on the same server: `connections` clients each send a batch of `size`
 * distinct events and wait for its answer, for `seconds`. A batch counts only when its answer says
 * every event was stored (a 200 may carry failed items).
 */
export async function batches(
  server: Server,
  label: string,
  size: number,
  connections: number,
  seconds: number,
): Promise<BatchResult> {
  const makeBody = () => JSON.stringify(Array.from({ length: size }, () => distinctStripeEvent('batch')));
  const body = pregenerated(makeBody, connections * 4);
  const url = `http://127.0.0.1:${server.port}/v1/events/batch`;
  const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
  const post = async (): Promise<boolean> => {
    const res = await fetch(url, { method: 'POST', headers, body: body() });
    if (res.status !== 200) {
      await res.body?.cancel();
      return false;
    }
    const json = (await res.json()) as { summary: { stored: number } };
    return json.summary.stored === size;
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
  const pg = await startPostgres({ durable: true });
  try {
    const server = await startServer(startPaylens, { DATABASE_URL: pg.url, DATABASE_POOL_SIZE: '16' });
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
    } finally {
      await stopProcess(server.child);
    }
  } finally {
    await pg.stop();
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
  if (batch !== undefined) {
    console.log(`\n## POST /v1/events/batch — same PostgreSQL server, right after the single-event run`);
    console.log('| run | batches | failed | events/s | p50 ms/batch | p99 ms/batch | peak RSS MB | vs single |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
    const ratio = single.perSecond > 0 ? (batch.eventsPerSecond / single.perSecond).toFixed(1) : '?';
    console.log(
      `| ${batch.label} | ${batch.batches} | ${batch.failedBatches} | ${batch.eventsPerSecond} | ${batch.p50} | ${batch.p99} | ${batch.peakRssMb ?? '?'} | ${ratio}× |`,
    );
  }
  console.log(`\n${idle.map((line) => `- ${line} (${SETTLE_MS / 1000} s after ready)`).join('\n')}`);
  console.log(`\nload average (1 / 5 / 15 min): ${loadAtStart} at the start, ${loadAverage()} at the end`);
}
