/**
 * Analytics read latency over a large history: seeds events (and their rollups) with bulk SQL into a
 * real PostgreSQL, then times the summary and 30-day hourly timeseries through the app.
 * BENCH_ANALYTICS_EVENTS sets the event count (default 10,000,000); BENCH_ANALYTICS_REQUESTS the
 * requests per measured route (default 200).
 */
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { createContainer } from '../src/container.js';
import { loadConfig } from '../src/platform/config/config.js';
import { startPostgres } from '../test/harness/processes.js';
import { percentile } from './lib.js';

const DAY_MS = 86_400_000;
const SEED_CHUNK = 1_000_000;
/** payment_events reference a raw event each; one raw "batch" per 1000 events keeps that table small. */
const EVENTS_PER_RAW = 1000;

/** Correlated, skewed synthetic events over the last 30 days (country → currency, mostly visa, mostly approved). */
function seedEventsSql(tenantId: string, from: number, to: number): string {
  return `
    insert into payment_events (id, tenant_id, raw_event_id, seq, source, provider, provider_event_id, provider_payment_id, type, status,
      failure_reason, decline_type, amount_minor, currency, amount_usd_minor, card, occurred_at, received_at, normalized_at,
      normalization_method, confidence, risk)
    select 'evt_bench_' || i, '${tenantId}', 'raw_bench_' || (i / ${EVENTS_PER_RAW}), i % ${EVENTS_PER_RAW}, 'api',
      (array['stripe','adyen','paypal','mercadopago','checkout'])[1 + floor(r1 * r1 * 5)::int],
      'pe_' || i, 'pay_' || i, 'sale', st,
      case when st in ('declined', 'failed') then reason end,
      case when st in ('declined', 'failed') then case when reason in ('expired_card', 'suspected_fraud', 'lost_or_stolen_card') then 'hard' else 'soft' end end,
      amount, (array['USD','EUR','EUR','GBP','BRL','JPY','MXN','CAD'])[ci], amount,
      jsonb_build_object('brand', brand, 'country', (array['US','DE','FR','GB','BR','JP','MX','CA'])[ci], 'last4', '4242', 'bin', null, 'funding', 'credit'),
      occurred, occurred + (r8 * r8 * r8 * 10) * interval '1 second', occurred + (r8 * r8 * r8 * 10) * interval '1 second',
      'rules', 1, jsonb_build_object('decision', case when r6 < 0.9 then 'approve' when r6 < 0.97 then 'review' else 'decline' end)
    from (
      select i, r1, r6, r8, 1 + floor(r2 * r2 * 8)::int as ci, (500 + floor(r5 * 20000))::bigint as amount,
        case when r3 < 0.55 then 'visa' when r3 < 0.85 then 'mastercard' when r3 < 0.95 then 'amex' else 'discover' end as brand,
        case when r4 < 0.80 then 'approved' when r4 < 0.92 then 'declined' when r4 < 0.94 then 'failed' when r4 < 0.97 then 'pending' else 'refunded' end as st,
        (array['insufficient_funds','do_not_honor','generic_decline','expired_card','incorrect_cvc','suspected_fraud','processing_error','lost_or_stolen_card'])[1 + floor(r5 * r5 * 8)::int] as reason,
        to_timestamp((${from} + r7 * ${to - from}) / 1000.0) as occurred
      from (select i, random() r1, random() r2, random() r3, random() r4, random() r5, random() r6, random() r7, random() r8
            from generate_series($1::bigint, $2::bigint) as i) as r
    ) as g`;
}

async function measure(label: string, requests: number, call: () => Promise<{ statusCode: number }>): Promise<string> {
  for (let i = 0; i < Math.min(20, requests); i += 1) await call();
  const times: number[] = [];
  for (let i = 0; i < requests; i += 1) {
    const started = performance.now();
    const res = await call();
    times.push(performance.now() - started);
    if (res.statusCode !== 200) throw new Error(`${label}: HTTP ${res.statusCode}`);
  }
  times.sort((a, b) => a - b);
  return `| ${label} | ${requests} | ${percentile(times, 0.5).toFixed(1)} | ${percentile(times, 0.99).toFixed(1)} |`;
}

export async function run(events = Number(process.env.BENCH_ANALYTICS_EVENTS ?? 10_000_000)): Promise<void> {
  const requests = Number(process.env.BENCH_ANALYTICS_REQUESTS ?? 200);
  const postgres = await startPostgres();
  const container = await createContainer(
    loadConfig({ ...process.env, LOG_LEVEL: 'silent', DATABASE_URL: postgres.url, PAYLENS_DATA_DIR: 'memory://' }),
  );
  const app = await buildApp(container, { logger: false });
  const seeder = new pg.Client({ connectionString: postgres.url });
  try {
    await app.ready();
    await seeder.connect();
    const tenant = await container.tenants.create('bench');
    if (!tenant) throw new Error('tenant exists');
    const key = await container.apiKeys.issue(tenant.id, 'bench');
    const headers = { authorization: `Bearer ${key.secret}` };

    const now = Date.now();
    const seedStarted = performance.now();
    // The bench's own throwaway cluster: let the bulk aggregation hash in memory.
    await seeder.query(`alter system set work_mem = '256MB'`);
    await seeder.query('select pg_reload_conf()');
    await seeder.query(
      `insert into raw_events (id, tenant_id, source, provider, provider_event_id, content_type, payload, payload_sha256, status, received_at)
       select 'raw_bench_' || b, $1, 'cli', 'bench', 'batch_' || b, 'application/x-ndjson', '', '', 'normalized', now()
       from generate_series(0, $2::bigint) as b`,
      [tenant.id, Math.floor((events - 1) / EVENTS_PER_RAW)],
    );
    for (let start = 0; start < events; start += SEED_CHUNK) {
      await seeder.query(seedEventsSql(tenant.id, now - 30 * DAY_MS, now), [
        start,
        Math.min(events, start + SEED_CHUNK) - 1,
      ]);
    }
    const eventsSeconds = (performance.now() - seedStarted) / 1000;
    const rollupStarted = performance.now();
    await container.analytics.rollups.loadFromEvents(tenant.id);
    await seeder.query('analyze');
    const rollupSeconds = (performance.now() - rollupStarted) / 1000;
    const { rows } = await seeder.query<{ t: string; granularity: string; n: string }>(
      `select 'cube' as t, granularity, count(*) as n from analytics_rollups group by 2 union all
       select 'slices', granularity, count(*) from analytics_slices group by 2 order by 1, 2`,
    );

    console.log(
      `\n## Analytics read latency — ${events.toLocaleString('en-US')} events over 30 days, PostgreSQL, app.inject`,
    );
    console.log(
      `seeded events in ${eventsSeconds.toFixed(0)} s, rollups in ${rollupSeconds.toFixed(0)} s; rollup rows: ${rows.map((r) => `${r.t}/${r.granularity} ${Number(r.n).toLocaleString('en-US')}`).join(', ')}`,
    );
    console.log('| request | n | p50 ms | p99 ms |');
    console.log('|---|---:|---:|---:|');
    const from30 = new Date(now - 30 * DAY_MS).toISOString();
    const routes: [string, string][] = [
      ['summary, last 24 h (target ≤ 50 ms)', '/v1/analytics/summary'],
      ['summary, last 7 days', `/v1/analytics/summary?from=${new Date(now - 7 * DAY_MS).toISOString()}`],
      [
        'timeseries approval_rate, 30 days by hour (target ≤ 100 ms)',
        `/v1/analytics/timeseries?metric=approval_rate&interval=hour&from=${from30}`,
      ],
      [
        'timeseries count by provider, 30 days by hour',
        `/v1/analytics/timeseries?metric=count&interval=hour&groupBy=provider&from=${from30}`,
      ],
      [
        'timeseries count by card country, 30 days by hour',
        `/v1/analytics/timeseries?metric=count&interval=hour&groupBy=cardCountry&from=${from30}`,
      ],
      ['failure-reasons, last 24 h', '/v1/analytics/failure-reasons'],
      ['provider view (stripe), last 24 h', '/v1/analytics/providers/stripe'],
    ];
    for (const [label, url] of routes)
      console.log(await measure(label, requests, () => app.inject({ method: 'GET', url, headers })));
  } finally {
    await seeder.end().catch(() => undefined);
    await app.close();
    await container.close();
    await postgres.stop();
  }
}
