import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startPostgres } from '../test/harness/processes.js';
import {
  distinctStripeEvent,
  printTable,
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

async function measure(
  label: string,
  start: (env: Record<string, string>) => ChildProcess,
  env: Record<string, string>,
  connections: number,
  seconds: number,
): Promise<LoadResult> {
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
    const options = {
      url: `http://127.0.0.1:${port}/v1/events`,
      connections,
      durationSeconds: 2,
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: () => JSON.stringify(distinctStripeEvent('bench')),
    };
    await runLoad(`${label} warm-up`, options);
    return await runLoad(label, { ...options, durationSeconds: seconds }, child.pid);
  } finally {
    await stopProcess(child);
  }
}

export async function run(): Promise<void> {
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
  const rows: LoadResult[] = [];
  const ceiling = await measure(
    'bare Fastify handler (ceiling)',
    (env) => startNode([baselineScript], env),
    {},
    connections,
    seconds,
  );
  rows.push(ceiling);

  const pg = await startPostgres({ durable: true });
  try {
    rows.push(
      await measure(
        'Paylens on PostgreSQL (fsync on)',
        startPaylens,
        { DATABASE_URL: pg.url, DATABASE_POOL_SIZE: '16' },
        connections,
        seconds,
      ),
    );
  } finally {
    await pg.stop();
  }

  const dataDir = mkdtempSync(join(tmpdir(), 'paylens-bench-pglite-'));
  try {
    rows.push(
      await measure('Paylens on PGlite (embedded)', startPaylens, { PAYLENS_DATA_DIR: dataDir }, connections, seconds),
    );
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  printTable(`POST /v1/events — distinct Stripe events, ${connections} connections, ${seconds} s`, rows, ceiling);
}
