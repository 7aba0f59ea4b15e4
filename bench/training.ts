/**
 * `npm run bench -- training`: scoring latency on an embedded server while `POST /v1/risk/models`
 * fits a model on its labelled history, against the same load without training. Run inline on the
 * server's thread, the whole fit would have been a stall of every request.
 */
import { percentile, startEmbeddedPaylens } from './lib.js';

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

async function api(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

interface Paced {
  latencies: number[];
  non2xx: number;
}

/** Steady open-loop load: a request every 1000/RATE ms while `more()` (or for `minMs`), latency from each one's due time. */
async function paced(url: string, body: () => string, more: () => boolean, minMs: number): Promise<Paced> {
  const interval = 1000 / RATE;
  const out: Paced = { latencies: [], non2xx: 0 };
  const pending: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; ; i++) {
    const due = start + i * interval;
    if (due - start >= minMs && !more()) break;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(
      fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: body(),
      }).then(
        async (res) => {
          await res.arrayBuffer();
          out.latencies.push(performance.now() - due);
          if (!res.ok) out.non2xx++;
        },
        () => {
          out.non2xx++;
        },
      ),
    );
  }
  await Promise.all(pending);
  out.latencies.sort((a, b) => a - b);
  return out;
}

const row = (label: string, p: Paced) =>
  `| ${label} | ${p.latencies.length} | ${p.non2xx} | ${percentile(p.latencies, 0.5).toFixed(1)} | ${percentile(p.latencies, 0.99).toFixed(1)} | ${(p.latencies.at(-1) ?? Number.NaN).toFixed(1)} |`;

export async function run(): Promise<void> {
  const { base, stop } = await startEmbeddedPaylens('training', { PAYLENS_BOOTSTRAP_API_KEY: KEY });
  try {
    const rows = Array.from({ length: HISTORY }, (_, i) => historyRow(i));
    for (let i = 0; i < rows.length; i += 1000)
      await api(base, 'POST', '/v1/risk/score/batch', { transactions: rows.slice(i, i + 1000) });
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < rows.length) {
          const i = next++;
          await api(base, 'POST', '/v1/risk/labels', {
            transactionId: rows[i]!.transactionId,
            label: i % 50 === 7 ? 'fraud' : 'legit',
          });
        }
      }),
    );

    let n = 0;
    const score = () =>
      JSON.stringify({
        ...historyRow(HISTORY + n),
        transactionId: `live${n++}`,
        occurredAt: new Date(T0 + (HISTORY + n) * 30_000).toISOString(),
      });
    const idle = await paced(`${base}/v1/risk/score`, score, () => false, 20_000);
    const started = await api(base, 'POST', '/v1/risk/models', {});
    const jobId = String(started.json.jobId);
    let job: Record<string, unknown> = started.json;
    const running = () => job.status === 'queued' || job.status === 'running';
    const watch = (async () => {
      while (running()) {
        await new Promise((r) => setTimeout(r, 250));
        job = (await api(base, 'GET', `/v1/risk/models/jobs/${jobId}`)).json;
      }
    })();
    const busy = await paced(`${base}/v1/risk/score`, score, running, 0);
    await watch;
    console.log(
      `\n## Scoring while a model trains (embedded, one process, ${RATE} scores/s; latency from each request's due time)`,
    );
    console.log('| run | scores | non-2xx | p50 ms | p99 ms | max ms |');
    console.log('|---|---:|---:|---:|---:|---:|');
    console.log(row('no training', idle));
    console.log(row(`while training on ${HISTORY} labelled transactions`, busy));
    const seconds = (Date.parse(String(job.finishedAt)) - Date.parse(String(job.startedAt))) / 1000;
    const result = job.result as { version: number; reason: string } | null;
    console.log(
      `training job ${String(job.status)} in ${seconds.toFixed(1)} s (read, fit, held-out evaluation): ${result ? `v${result.version}, ${result.reason}` : String(job.error)}`,
    );
  } finally {
    await stop();
  }
}
