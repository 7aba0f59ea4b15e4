/**
 * `npm run bench -- training`: scoring latency on an embedded server while `POST /v1/risk/models`
 * fits a model on its labelled history, against the same load without training. Run inline on the
 * server's thread, the whole fit would have been a stall of every request.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/harness/processes.js';
import { printTable, runPaced, startPaylens, stopProcess, waitForHttp, type LoadResult } from './lib.js';

const KEY = `pl_${'t'.repeat(43)}`;
const HISTORY = Number(process.env.BENCH_TRAINING_HISTORY ?? 40_000);
const RATE = 200;
const T0 = Date.parse('2026-01-01T00:00:00Z');

/** Deterministic labelled traffic: 2 % fraud, told apart by amount band, card country and hour. */
function historyRow(i: number) {
  const fraud = i % 50 === 7;
  const dollars = fraud ? 300 + ((i * 37) % 400) : 10 + ((i * 7919) % 900);
  return {
    transactionId: `h${i}`,
    amount: { minor: dollars * 100, currency: 'USD' },
    customer: { id: `c${i % 5000}` },
    card: { bin: '424242', last4: String(1000 + (i % 9000)), country: fraud && i % 3 === 0 ? 'BR' : 'US' },
    ip: `198.51.${i % 250}.${(i * 13) % 250}`,
    ipCountry: 'US',
    deviceId: `d${i % 7000}`,
    merchant: { id: `m${i % 20}`, country: 'US' },
    occurredAt: new Date(T0 + i * 30_000).toISOString(),
  };
}

async function api(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'paylens-bench-training-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = startPaylens({ PORT: String(port), HOST: '127.0.0.1', PAYLENS_DATA_DIR: dir, PAYLENS_BOOTSTRAP_API_KEY: KEY, LOG_LEVEL: 'warn', DATABASE_URL: '', REDIS_URL: '' });
  try {
    await waitForHttp(`${base}/health/live`);
    const rows = Array.from({ length: HISTORY }, (_, i) => historyRow(i));
    for (let i = 0; i < rows.length; i += 1000) await api(base, 'POST', '/v1/risk/score/batch', { transactions: rows.slice(i, i + 1000) });
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < rows.length) {
          const i = next++;
          await api(base, 'POST', '/v1/risk/labels', { transactionId: rows[i]!.transactionId, label: i % 50 === 7 ? 'fraud' : 'legit' });
        }
      }),
    );

    let n = 0;
    const score = () => JSON.stringify({ ...historyRow(HISTORY + n), transactionId: `live${n++}`, occurredAt: new Date(T0 + (HISTORY + n) * 30_000).toISOString() });
    const load = (label: string, seconds: number): Promise<LoadResult> =>
      runPaced(label, { url: `${base}/v1/risk/score`, durationSeconds: seconds, rate: RATE, headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: score });

    const idle = await load(`no training, ${RATE} scores/s`, 20);
    const started = await api(base, 'POST', '/v1/risk/models', {});
    const jobId = String(started.json.jobId);
    const during = load(`while training (${HISTORY} labelled), ${RATE} scores/s`, 20);
    let job: Record<string, unknown> = started.json;
    while (job.status === 'queued' || job.status === 'running') {
      await new Promise((r) => setTimeout(r, 250));
      job = (await api(base, 'GET', `/v1/risk/models/jobs/${jobId}`)).json;
    }
    const busy = await during;
    printTable('Scoring while a model trains (embedded, one process; latency from each request\'s due time)', [idle, busy]);
    const seconds = (Date.parse(String(job.finishedAt)) - Date.parse(String(job.startedAt))) / 1000;
    const result = job.result as { version: number; activated: boolean; reason: string } | null;
    console.log(`training job ${job.status} in ${seconds.toFixed(1)} s (read, fit, held-out evaluation): ${result ? `v${result.version}, ${result.reason}` : String(job.error)}`);
  } finally {
    await stopProcess(server);
    rmSync(dir, { recursive: true, force: true });
  }
}
