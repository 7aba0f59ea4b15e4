import Fastify from 'fastify';
import { pathToFileURL } from 'node:url';
import { buildApp } from '../src/app.js';
import { createContainer } from '../src/container.js';
import { loadConfig } from '../src/platform/config/config.js';
import { startPostgres } from '../test/harness/processes.js';
import { cpuSnapshot, distinctStripeEvent, percentile } from './lib.js';
import { CHUNK_RECORDS } from '../src/modules/ingest/index.js';

const BATCHES = Number(process.env.BENCH_BATCHES ?? 20);
const BATCH_SIZE = Number(process.env.BENCH_BATCH_SIZE ?? 5000);

function makeBodies(): string[] {
  return Array.from({ length: BATCHES }, () =>
    JSON.stringify(Array.from({ length: BATCH_SIZE }, () => distinctStripeEvent('batch'))),
  );
}

interface Figures {
  label: string;
  eventsPerSecond: number;
  p50: number;
  p99: number;
  peakRssMb: number;
  failures: number;
  /** CPU per event in this process (API work, its GC threads included) and in PostgreSQL, µs. */
  apiCpuUs: number;
  pgCpuUs: number | null;
}

/** CPU seconds used so far by every PostgreSQL process on the machine (the harness's cluster is the only one). */
function postgresCpuSeconds(): number {
  let ms = 0;
  for (const [name, used] of cpuSnapshot(undefined)) if (name.startsWith('postgres (')) ms += used;
  return ms / 1000;
}

const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

async function measure(
  label: string,
  bodies: string[],
  post: (body: string) => Promise<{ ok: boolean }>,
  withPostgres = false,
): Promise<Figures> {
  const durations: number[] = [];
  let failures = 0;
  const cpu0 = process.cpuUsage();
  const pg0 = withPostgres ? postgresCpuSeconds() : 0;
  const started = performance.now();
  for (const body of bodies) {
    const t0 = performance.now();
    const res = await post(body);
    durations.push(performance.now() - t0);
    if (!res.ok) failures++;
  }
  const seconds = (performance.now() - started) / 1000;
  const events = bodies.length * BATCH_SIZE;
  const cpu = process.cpuUsage(cpu0);
  durations.sort((a, b) => a - b);
  return {
    label,
    eventsPerSecond: Math.round(events / seconds),
    p50: Math.round(percentile(durations, 0.5)),
    p99: Math.round(percentile(durations, 0.99)),
    peakRssMb: peakRssMb(),
    failures,
    apiCpuUs: Math.round((cpu.user + cpu.system) / events),
    pgCpuUs: withPostgres ? Math.round(((postgresCpuSeconds() - pg0) * 1e6) / events) : null,
  };
}

/** The ceiling: a bare Fastify handler that only parses the same body and answers its length. */
async function baseline(bodies: string[]): Promise<Figures> {
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 * 1024 });
  app.post('/v1/events/batch', async (request) => ({ count: (request.body as unknown[]).length }));
  await app.ready();
  try {
    return await measure('bare JSON.parse + Fastify handler (ceiling)', bodies, async (body) => {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/events/batch',
        headers: { 'content-type': 'application/json' },
        payload: body,
      });
      return { ok: res.statusCode === 200 && res.json().count === BATCH_SIZE };
    });
  } finally {
    await app.close();
  }
}

/**
 * POST /v1/events/batch: BATCHES sequential batches of BATCH_SIZE distinct Stripe events through
 * app.inject on a durable PostgreSQL (fsync on), against a bare-parse ceiling measured in the same run.
 */
export async function run(): Promise<void> {
  const warmup = makeBodies().slice(0, 2);
  const bodies = makeBodies();
  const ceiling = await baseline(bodies);

  const pg = await startPostgres({ durable: true });
  try {
    const config = loadConfig({
      ...process.env,
      LOG_LEVEL: 'silent',
      DATABASE_URL: pg.url,
      DATABASE_POOL_SIZE: process.env.DATABASE_POOL_SIZE ?? '16',
      PAYLENS_CUSTOMER_KEY_SALT: 'bench-salt-0123456789',
    });
    const container = await createContainer(config);
    const app = await buildApp(container, { logger: false });
    await app.ready();
    try {
      const tenant =
        (await container.tenants.create('bench-batch')) ?? (await container.tenants.findByName('bench-batch'));
      if (!tenant) throw new Error('no tenant');
      const { secret } = await container.apiKeys.issue(tenant.id, 'bench');
      const post = async (body: string) => {
        const res = await app.inject({
          method: 'POST',
          url: '/v1/events/batch',
          headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
          payload: body,
        });
        const json =
          res.statusCode === 200
            ? (res.json() as { summary: { stored: number }; items: { status: number; error?: { detail?: string } }[] })
            : null;
        const ok = json?.summary.stored === BATCH_SIZE;
        if (!ok) {
          const failure = json?.items.find((i) => i.status !== 201);
          console.error(
            `batch not fully stored: HTTP ${res.statusCode} ${JSON.stringify(json?.summary ?? res.body.slice(0, 300))} ${failure ? JSON.stringify(failure) : ''}`,
          );
        }
        return { ok };
      };
      await measure('warm-up', warmup, post);
      const paylens = await measure(
        `Paylens on PostgreSQL (fsync on; ${CHUNK_RECORDS.toLocaleString('en-US')} records per transaction)`,
        bodies,
        post,
        true,
      );
      print([ceiling, paylens], ceiling);
    } finally {
      await app.close();
      await container.close();
    }
  } finally {
    await pg.stop();
  }
}

function print(rows: Figures[], ceiling: Figures): void {
  console.log(
    `\n## POST /v1/events/batch — ${BATCHES} batches × ${BATCH_SIZE} distinct Stripe events, app.inject, sequential`,
  );
  console.log(
    '| run | events/s | p50 ms/batch | p99 ms/batch | peak RSS MB | CPU µs/event: API / PostgreSQL | failed batches | vs ceiling |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.label} | ${r.eventsPerSecond} | ${r.p50} | ${r.p99} | ${r.peakRssMb} | ${r.apiCpuUs} / ${r.pgCpuUs ?? '–'} | ${r.failures} | ${Math.round((r.eventsPerSecond / ceiling.eventsPerSecond) * 100)}% |`,
    );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
  process.exit(0);
}
